"""A city's catalog as intake and routing read it, cached per process and checked on every use.

Intake needs the category (with its questions and department), every department a rule may route
to, the routing rules, the zones, the city's own holidays and its live Open311 keys: seven queries per
request when read from the database each time. Here they are read once per process and kept with the city's
`catalog_version` (a counter every catalog write bumps in its own transaction, see
`tenants/catalog.py`). Each use reads that one number (once per transaction), so a change made
anywhere takes effect on the next request in every process, without a restart.

Two rules keep the cache honest:
- a transaction that itself wrote the catalog reads its own, uncommitted rows (a "local" snapshot
  built in its session) and never fills the shared cache with rows that may still roll back;
- cached rows are detached ORM objects shared by every session of the process: callers get a copy
  merged into their session (`Session.merge(load=False)`, no SQL), never the cached object itself.
  The copy's JSON values (keywords, channels, question choices) are the cache's own: change a
  category by assigning a new value, never in place (the ORM would not see an in-place change either).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from threading import Lock

from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from civic311.db import db
from civic311.tenancy import current_tenant_id
from civic311.tenants import counters
from civic311.tenants.catalog import (
    CATALOG_VERSION,
    SNAPSHOT_MEMO,
    ApiKey,
    Category,
    Department,
    Holiday,
    RoutingRule,
    Zone,
    catalog_changed_here,
)

MAX_CITIES = 512  # snapshots kept per process, least recently used dropped first


@dataclass(frozen=True)
class DepartmentInfo:
    """What routing and the SLA clock need of a department (name for the explanation, hours)."""

    id: uuid.UUID
    name: str
    working_hours: dict | None
    enabled: bool


@dataclass(frozen=True)
class RuleInfo:
    id: uuid.UUID
    name: str
    conditions: dict
    actions: dict


@dataclass(frozen=True)
class ZoneInfo:
    id: uuid.UUID
    name: str
    bounds: tuple[float, float, float, float]  # min_lng, min_lat, max_lng, max_lat
    polygon: object = field(compare=False, repr=False)  # a prepared shapely geometry

    def covers(self, lat: float, lng: float) -> bool:
        min_lng, min_lat, max_lng, max_lat = self.bounds
        if not (min_lng <= lng <= max_lng and min_lat <= lat <= max_lat):
            return False
        return self.polygon.covers(Point(lng, lat))


@dataclass(frozen=True)
class KeyInfo:
    """A live Open311 key, as the API checks it (the hash itself is the snapshot's dict key)."""

    id: uuid.UUID
    name: str
    prefix: str
    rate_limit_per_minute: int


@dataclass
class CatalogSnapshot:
    tenant_id: uuid.UUID
    version: int
    shared: bool  # True: detached objects shared by the process; False: objects of one session
    categories: dict[str, Category]  # active categories by service code
    departments: dict[uuid.UUID, DepartmentInfo]
    rules: tuple[RuleInfo, ...]  # active, in order
    zones: tuple[ZoneInfo, ...]  # by name
    holidays: frozenset[date]  # the city's own; national ones come from sla.national_holidays
    keys: dict[str, KeyInfo] = field(default_factory=dict)  # live API keys by SHA-256 hash

    def category(self, service_code: str) -> Category | None:
        """The active category with this code, as an object of the current session."""
        found = self.categories.get(service_code)
        if found is None or not self.shared:
            return found
        return db.session.merge(found, load=False)

    def department(self, department_id: uuid.UUID | None) -> DepartmentInfo | None:
        return self.departments.get(department_id) if department_id is not None else None

    def zone_at(self, lat: float, lng: float) -> ZoneInfo | None:
        """The first zone (by name) whose polygon contains the point."""
        return next((zone for zone in self.zones if zone.covers(lat, lng)), None)


_CACHE: OrderedDict[uuid.UUID, CatalogSnapshot] = OrderedDict()
_LOCK = Lock()


def current() -> CatalogSnapshot:
    """The current city's catalog as this transaction should see it."""
    tenant_id = current_tenant_id()
    session = db.session()
    if session.autoflush:
        session.flush()  # pending catalog rows count as written (and bump the version) before we look
    memo = session.info.setdefault(SNAPSHOT_MEMO, {})
    snapshot = memo.get(tenant_id)
    if snapshot is None:
        snapshot = _fresh(session, tenant_id)
        memo[tenant_id] = snapshot
    return snapshot


def _fresh(session: Session, tenant_id: uuid.UUID) -> CatalogSnapshot:
    if catalog_changed_here(session, tenant_id):
        return _load(session, tenant_id, version=-1, shared=False)
    version = counters.peek(CATALOG_VERSION)
    with _LOCK:
        cached = _CACHE.get(tenant_id)
        if cached is not None and cached.version == version:
            _CACHE.move_to_end(tenant_id)
            return cached
    # Read on the session's own connection (same transaction, same row-level security setting) by a
    # short-lived session, whose objects end detached when it closes; "rollback_only" keeps it from
    # committing, opening savepoints on, or closing the caller's transaction.
    loader = Session(bind=session.connection(), join_transaction_mode="rollback_only")
    try:
        snapshot = _load(loader, tenant_id, version=version, shared=True)
    finally:
        loader.close()
    with _LOCK:
        _CACHE[tenant_id] = snapshot
        _CACHE.move_to_end(tenant_id)
        while len(_CACHE) > MAX_CITIES:
            _CACHE.popitem(last=False)
    return snapshot


def _load(session: Session, tenant_id: uuid.UUID, *, version: int, shared: bool) -> CatalogSnapshot:
    categories = session.scalars(
        select(Category).where(Category.active.is_(True))
        .options(selectinload(Category.questions), selectinload(Category.department))
    ).all()
    departments = session.scalars(select(Department)).all()
    rules = session.scalars(
        select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.position, RoutingRule.created_at)
    ).all()
    zones = session.scalars(select(Zone).order_by(Zone.name)).all()
    holidays = session.scalars(select(Holiday.day)).all()
    keys = session.execute(
        select(ApiKey.key_hash, ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.rate_limit_per_minute)
        .where(ApiKey.revoked_at.is_(None))
    ).all()
    return CatalogSnapshot(
        tenant_id=tenant_id,
        version=version,
        shared=shared,
        categories={c.service_code: c for c in categories},
        departments={d.id: DepartmentInfo(d.id, d.name, d.working_hours, d.enabled) for d in departments},
        rules=tuple(RuleInfo(r.id, r.name, dict(r.conditions or {}), dict(r.actions or {})) for r in rules),
        zones=tuple(ZoneInfo(z.id, z.name, (z.min_lng, z.min_lat, z.max_lng, z.max_lat), prep(shape(z.geometry)))
                    for z in zones),
        holidays=frozenset(date.fromisoformat(day) for day in holidays),
        keys={k.key_hash: KeyInfo(k.id, k.name, k.prefix, k.rate_limit_per_minute) for k in keys},
    )


def clear() -> None:
    """Forget every city (tests; a process that changed the catalog outside the ORM)."""
    with _LOCK:
        _CACHE.clear()
