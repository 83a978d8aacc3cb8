"""A per-process cache of the tenant row a host (or a `jurisdiction_id`) names.

Every request to a city's host starts by finding its tenant; reading the whole `tenants` row through the
ORM on each one was a round trip and a row load before any view ran. The row's column values are kept
here for `TTL_SECONDS`; each request gets its own session-attached `Tenant` built from them (no SQL), so
views use and change it exactly as a loaded row.

Staleness is bounded three ways:
- in this process, any statement that writes `tenants` or `tenant_domains` (an ORM flush, a bulk UPDATE,
  raw SQL, a TRUNCATE) empties the cache when it runs and again when its transaction commits, so a
  suspension or a new domain applies to the very next request;
- with Redis configured (every multi-process deployment), that commit also bumps a version number in
  Redis, which each process reads at most once every `VERSION_CHECK_SECONDS`: a change made by another
  gunicorn worker or by the billing job in the worker applies everywhere within about a second, for
  one Redis GET per second per process rather than a database round trip per request;
- whatever happens (Redis down, a change made by hand in psql), an entry lives at most `TTL_SECONDS`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, set_committed_value
from sqlalchemy.orm.util import identity_key

from civic311.db import db
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.tenants")

TTL_SECONDS = 30.0
VERSION_CHECK_SECONDS = 1.0
VERSION_KEY = "civic311:tenants:version"
MAX_ENTRIES = 20_000  # hosts and jurisdictions of live cities; a flood of junk names is never cached
_WRITES_TENANTS = re.compile(r"\b(tenants|tenant_domains)\b", re.IGNORECASE)
_READ_ONLY_HEADS = ("SELECT", "select", "WITH", "with", "SAVEPOINT", "RELEASE", "PRAGMA", "pragma", "SHOW")


class TenantCache:
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()
        self.clock: Callable[[], float] = time.monotonic
        self._next_version_check = 0.0
        self._seen_version: bytes | None = None
        self._all_read_until = 0.0  # every city's row was read at once, and is still fresh, until then

    def tenant(self, key: str, load: Callable[[], Tenant | None]) -> Tenant | None:
        """The tenant `key` names, attached to the current session: from the cache when fresh, else
        from `load()` (whose answer is then remembered; "no such tenant" is not)."""
        now = self.clock()
        values = self._fresh(key, now)
        if values is not None:
            return _attached(values)
        return self._load_one(key, load, now)

    def tenant_among_all(self, key: str, key_of: Callable[[dict], str],
                         load: Callable[[], Tenant | None]) -> Tenant | None:
        """Like tenant(), but a miss reads every city's row at once, each remembered under
        `key_of(its values)`. A platform holds thousands of cities at most, each row small: one read of
        them all per TTL costs a few milliseconds, where one read per city was paid on the first request
        to each city in each process (most requests, with many cities and several workers). A key still
        missing while that read is fresh names no city then, and goes to `load()` (so a flood of unknown
        names never re-reads the table); so do all keys beyond `MAX_ENTRIES // 2` cities."""
        now = self.clock()
        values = self._fresh(key, now)
        if values is not None:
            return _attached(values)
        if self._all_read_until > now:
            return self._load_one(key, load, now)
        entries = _every_tenant(key_of, MAX_ENTRIES // 2)
        if entries is None:
            return self._load_one(key, load, now)
        self._store(entries, now)
        self._all_read_until = now + self.ttl
        values = entries.get(key)
        return _attached(values) if values is not None else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._all_read_until = 0.0

    def _fresh(self, key: str, now: float) -> dict | None:
        if now >= self._next_version_check:
            self._next_version_check = now + VERSION_CHECK_SECONDS
            self._check_shared_version()
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > now else None

    def _load_one(self, key: str, load: Callable[[], Tenant | None], now: float) -> Tenant | None:
        tenant = load()
        if tenant is not None:
            self._store({key: {attr.key: _copy(getattr(tenant, attr.key)) for attr in _column_attrs()}}, now)
        return tenant

    def _store(self, entries: dict[str, dict], now: float) -> None:
        with self._lock:
            if len(self._entries) + len(entries) > MAX_ENTRIES:
                self._entries.clear()
                self._all_read_until = 0.0
            for key, values in entries.items():
                self._entries[key] = (now + self.ttl, values)

    def _check_shared_version(self) -> None:
        """Forget everything if another process has changed a tenant since the last look."""
        redis = _redis()
        if redis is None:
            return
        try:
            version = redis.get(VERSION_KEY)
        except RedisError as exc:  # Redis down: entries still expire after TTL_SECONDS
            log.warning("could not read the tenants version from Redis: %s", exc)
            # Do not make a request a second wait for Redis's timeout: look again after a TTL.
            self._next_version_check = self.clock() + self.ttl
            return
        if version != self._seen_version:
            self._seen_version = version
            self.clear()


def _redis():
    if not has_app_context() or not current_app.config["CIVIC311"].redis_url:
        return None
    from civic311.jobs import redis_connection

    return redis_connection(current_app._get_current_object())


def _announce_to_other_processes() -> None:
    redis = _redis()
    if redis is None:
        return
    try:
        redis.incr(VERSION_KEY)
    except RedisError as exc:
        log.warning("could not tell other processes that a tenant changed: %s", exc)


def _column_attrs():
    return inspect(Tenant).column_attrs


def _every_tenant(key_of: Callable[[dict], str], limit: int) -> dict[str, dict] | None:
    """Every tenant's column values by `key_of(values)`, in one query of plain rows (no ORM objects);
    None when there are more than `limit`."""
    columns = [attr.columns[0].label(attr.key) for attr in _column_attrs()]
    rows = db.session.execute(select(*columns).limit(limit + 1)).all()
    if len(rows) > limit:
        return None
    entries = {}
    for row in rows:
        values = dict(row._mapping)
        entries[key_of(values)] = values
    return entries


def _attached(values: dict) -> Tenant:
    """A persistent `Tenant` in this request's session holding `values`, made without a query. JSON values
    are copied so a view changing one in place never changes the cache."""
    session = db.session()
    identity = session.identity_map.get(identity_key(Tenant, values["id"]))
    if identity is not None:
        # Already in this session (requests sharing one application context: jobs run inline, tests).
        # Expired by a commit since, it is refreshed from the cache rather than by a SELECT.
        state = inspect(identity)
        if not state.modified:
            for key in state.expired_attributes & values.keys():
                set_committed_value(identity, key, _copy(values[key]))
        return identity
    tenant = Tenant.__mapper__.class_manager.new_instance()
    # As a query's row loader does: values straight into the instance's dict, then marked as committed.
    instance_dict(tenant).update({key: _copy(value) for key, value in values.items()})
    make_transient_to_detached(tenant)
    session.add(tenant)
    return tenant


def _copy(value):
    """A copy of a JSON value (dicts, lists, scalars): cheaper than copy.deepcopy, which keeps a memo."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


tenant_cache = TenantCache()


@event.listens_for(Engine, "after_cursor_execute")
def _forget_on_write(conn, cursor, statement: str, parameters, context, executemany) -> None:
    if statement.lstrip().startswith(_READ_ONLY_HEADS) or not _WRITES_TENANTS.search(statement):
        return
    tenant_cache.clear()
    conn.info["civic311_tenants_written"] = True


@event.listens_for(Engine, "commit")
def _forget_on_commit(conn) -> None:
    # Cleared again once the change is visible: a request that re-read the row between the write and
    # the commit cached the old value.
    if conn.info.pop("civic311_tenants_written", False):
        tenant_cache.clear()
        _announce_to_other_processes()


@event.listens_for(Engine, "rollback")
def _forget_flag_on_rollback(conn) -> None:
    conn.info.pop("civic311_tenants_written", None)
