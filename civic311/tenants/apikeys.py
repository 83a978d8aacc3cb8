"""Open311 API keys: issued by a city's admins, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid

from sqlalchemy import update

from civic311 import audit
from civic311.actor import current_actor
from civic311.db import db, utcnow
from civic311.tenancy import current_tenant_id
from civic311.tenants.catalog import ApiKey


def key_hash(raw: str) -> str:
    """What is stored of a raw key (and what a presented key is looked up by)."""
    return hashlib.sha256(raw.strip().encode()).hexdigest()


def issue_key(name: str, rate_limit_per_minute: int = 60) -> tuple[ApiKey, str]:
    """Create a key in the current city; the raw key is returned once and never stored."""
    raw = "c311_" + secrets.token_urlsafe(30)
    key = ApiKey(
        name=name.strip() or "key",
        prefix=raw[:12],
        key_hash=key_hash(raw),
        created_by_id=current_actor().user_id,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.issued", target=key, details={"name": key.name, "prefix": key.prefix})
    return key, raw


def revoke_key(key: ApiKey) -> None:
    key.revoked_at = utcnow()
    audit.record("api_key.revoked", target=key, details={"name": key.name, "prefix": key.prefix})


TOUCH_EVERY_SECONDS = 60
_last_touch: dict[uuid.UUID, float] = {}
_touch_lock = threading.Lock()


def touch(key_id: uuid.UUID) -> None:
    """Record a key's use, at most once a minute per process.

    Writing the key's row on every call made all of a city's API writes queue behind one row lock
    (measured by bench/run_intake.sh). A Core update, so the ORM sees no change to a catalog row and
    the catalog's version (which the cached key check reads) stays put."""
    now = time.monotonic()
    with _touch_lock:
        if now - _last_touch.get(key_id, float("-inf")) < TOUCH_EVERY_SECONDS:
            return
        _last_touch[key_id] = now
    table = ApiKey.__table__
    db.session.execute(update(table).where(table.c.tenant_id == current_tenant_id(), table.c.id == key_id)
                       .values(last_used_at=utcnow()))
