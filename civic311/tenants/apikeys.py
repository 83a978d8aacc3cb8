"""Open311 API keys: issued by a city's admins, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from civic311 import audit
from civic311.actor import current_actor
from civic311.db import db, utcnow
from civic311.tenants.catalog import ApiKey


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_key(name: str, rate_limit_per_minute: int = 60) -> tuple[ApiKey, str]:
    """Create a key in the current city; the raw key is returned once and never stored."""
    raw = "c311_" + secrets.token_urlsafe(30)
    key = ApiKey(
        name=name.strip() or "key",
        prefix=raw[:12],
        key_hash=_hash(raw),
        created_by_id=current_actor().user_id,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.issued", target=key, details={"name": key.name, "prefix": key.prefix})
    return key, raw


def find_key(raw: str) -> ApiKey | None:
    """The live key of the current city matching `raw`; a key of another city is never found."""
    if not raw:
        return None
    return db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(raw.strip()), ApiKey.revoked_at.is_(None)))


def revoke_key(key: ApiKey) -> None:
    key.revoked_at = utcnow()
    audit.record("api_key.revoked", target=key, details={"name": key.name, "prefix": key.prefix})


def touch(key: ApiKey) -> None:
    """Record use at most once a minute: writing the key's row on every call made all of a city's API
    writes queue behind one row lock (measured by bench/run_intake.sh)."""
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        key.last_used_at = now
