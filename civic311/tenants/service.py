"""Every write about a city itself: creation, status, settings."""

from __future__ import annotations

import re

from sqlalchemy import select

from civic311 import audit
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from civic311.tenants.models import TENANT_STATUSES, Tenant

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = frozenset((
    "www api admin app apps billing mail smtp ftp static assets cdn docs help support status signup "
    "login logout ops open311 platform dashboard console t test demo staging dev blog about pricing "
    "security civic311 root system webhook webhooks stripe "
).split())


class TenantError(ValueError):
    pass


def slug_problem(slug: str) -> str | None:
    """Why a slug cannot be used, in words a city clerk understands; None when it is free."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or "--" in slug:
        return "use 3 to 40 lowercase letters, digits and single hyphens, starting with a letter"
    if slug in RESERVED_SLUGS:
        return "that address is reserved"
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        return "that address is already taken"
    return None


def tracking_prefix_for(name: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", name).upper()
    return (letters[:3] or "REQ").ljust(3, "X")


def create_tenant(
    *, slug: str, name: str, timezone: str = "America/Chicago", status: str = "trial",
    locales: list[str] | None = None, trial_days: int = 30, live: bool = True,
) -> Tenant:
    """A new city. `live=False` (self-signup) keeps its portal and API closed until it goes live."""
    slug = slug.strip().lower()
    problem = slug_problem(slug)
    if problem:
        raise TenantError(f"slug {slug!r}: {problem}")
    if status not in TENANT_STATUSES:
        raise TenantError(f"unknown status {status}")
    from datetime import timedelta
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TenantError(f"unknown timezone {timezone}") from exc
    tenant = Tenant(
        slug=slug,
        name=name.strip(),
        timezone=timezone,
        status=status,
        locales=locales or ["en", "es"],
        tracking_prefix=tracking_prefix_for(name),
        trial_ends_at=utcnow() + timedelta(days=trial_days) if status == "trial" else None,
        welcome_text={},
        live_at=utcnow() if live else None,
    )
    db.session.add(tenant)
    db.session.flush()
    with tenant_context(tenant.id):
        audit.record("tenant.created", target=tenant, details={"slug": slug, "name": name})
        db.session.flush()  # inside the tenant's context: row-level security checks the new rows here
    return tenant


def set_status(tenant: Tenant, status: str, reason: str) -> None:
    if status not in TENANT_STATUSES:
        raise TenantError(f"unknown status {status}")
    if tenant.status == status:
        return
    previous = tenant.status
    tenant.status = status
    tenant.status_reason = reason
    tenant.status_changed_at = utcnow()
    with tenant_context(tenant.id):
        audit.record("tenant.status_changed", target=tenant, details={"from": previous, "to": status, "reason": reason})
        db.session.flush()
