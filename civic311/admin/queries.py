"""What the platform admin reads across cities: the city list, figures and the audit log. Every query
that crosses tenants says why (all_tenants(reason=...))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, or_, select

from civic311.accounts.models import Membership
from civic311.audit import AuditEvent, PlatformAuditEvent
from civic311.billing.models import StripeEvent
from civic311.billing.service import month_start
from civic311.db import db, utcnow
from civic311.jobs import QUEUES
from civic311.platform.models import ServiceRequest
from civic311.tenancy import all_tenants
from civic311.tenants.models import TENANT_STATUSES, Tenant


@dataclass(frozen=True)
class CityRow:
    tenant: Tenant
    requests_this_month: int
    seats: int
    last_activity: datetime | None


def _per_tenant(stmt) -> dict:
    return dict(db.session.execute(stmt).all())


def cities(q: str = "", status: str = "") -> list[CityRow]:
    stmt = select(Tenant).order_by(Tenant.name)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Tenant.name).like(like), func.lower(Tenant.slug).like(like),
                              func.lower(func.coalesce(Tenant.billing_email, "")).like(like)))
    if status in TENANT_STATUSES:
        stmt = stmt.where(Tenant.status == status)
    tenants = db.session.scalars(stmt).all()
    with all_tenants(reason="platform admin: city list with usage and last activity"):
        requests = _per_tenant(select(ServiceRequest.tenant_id, func.count()).where(
            ServiceRequest.created_at >= month_start()).group_by(ServiceRequest.tenant_id))
        seats = _per_tenant(select(Membership.tenant_id, func.count()).where(
            Membership.revoked_at.is_(None)).group_by(Membership.tenant_id))
        last_audit = _per_tenant(select(AuditEvent.tenant_id, func.max(AuditEvent.created_at))
                                 .group_by(AuditEvent.tenant_id))
        last_request = _per_tenant(select(ServiceRequest.tenant_id, func.max(ServiceRequest.created_at))
                                   .group_by(ServiceRequest.tenant_id))
    rows = []
    for tenant in tenants:
        moments = [m for m in (last_audit.get(tenant.id), last_request.get(tenant.id)) if m is not None]
        rows.append(CityRow(tenant, requests.get(tenant.id, 0), seats.get(tenant.id, 0),
                            max(_aware(m) for m in moments) if moments else None))
    return rows


def _aware(moment):
    from civic311.db import UTCDateTime

    if isinstance(moment, str):  # SQLite hands back text from an aggregate
        moment = datetime.fromisoformat(moment)
    return UTCDateTime().process_result_value(moment, None)


def requests_per_day(days: int = 14) -> list[tuple[str, int]]:
    since = (utcnow() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    with all_tenants(reason="platform admin: requests per day"):
        moments = db.session.scalars(select(ServiceRequest.created_at).where(ServiceRequest.created_at >= since))
        counts: dict[str, int] = {}
        for moment in moments:
            key = f"{moment:%Y-%m-%d}"
            counts[key] = counts.get(key, 0) + 1
    return [(f"{since + timedelta(days=i):%Y-%m-%d}", counts.get(f"{since + timedelta(days=i):%Y-%m-%d}", 0))
            for i in range(days)]


def cities_by_status() -> dict[str, int]:
    found = dict(db.session.execute(select(Tenant.status, func.count()).group_by(Tenant.status)).all())
    return {status: found.get(status, 0) for status in TENANT_STATUSES}


def queue_figures(app: Flask) -> dict[str, dict[str, int]] | None:
    """Jobs waiting and failed per RQ queue; None in the embedded mode (jobs run inline)."""
    if not app.config["CIVIC311"].redis_url:
        return None
    from rq.registry import FailedJobRegistry

    from civic311.jobs import rq_queue

    figures = {}
    for name in QUEUES:
        queue = rq_queue(app, name)
        figures[name] = {"waiting": queue.count, "failed": FailedJobRegistry(queue=queue).count}
    return figures


def failed_jobs(app: Flask) -> list[dict]:
    if not app.config["CIVIC311"].redis_url:
        return []
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from civic311.jobs import redis_connection, rq_queue

    found = []
    for name in QUEUES:
        registry = FailedJobRegistry(queue=rq_queue(app, name))
        for job_id in registry.get_job_ids()[:100]:
            job = Job.fetch(job_id, connection=redis_connection(app))
            found.append({"queue": name, "id": job_id, "what": job.args[0] if job.args else job.func_name,
                          "ended_at": job.ended_at, "error": (job.latest_result().exc_string
                                                             if job.latest_result() else "")[-600:]})
    return found


def failed_stripe_events() -> list[StripeEvent]:
    return db.session.scalars(
        select(StripeEvent).where(StripeEvent.status.in_(("failed", "received")))
        .order_by(StripeEvent.created_at.desc()).limit(200)
    ).all()


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    city: str
    actor: str
    action: str
    details: dict
    support_access: bool
    log: str  # "city" (the city's own audit log) or "platform"


def audit_search(text: str = "", city: Tenant | None = None, limit: int = 200) -> list[AuditRow]:
    """City logs and the platform log together, newest first."""
    like = f"%{text.strip().lower()}%"
    city_names = dict(db.session.execute(select(Tenant.id, Tenant.slug)).all())
    city_stmt = select(AuditEvent).order_by(AuditEvent.created_at.desc()).limit(limit)
    platform_stmt = select(PlatformAuditEvent).order_by(PlatformAuditEvent.created_at.desc()).limit(limit)
    if text.strip():
        city_stmt = city_stmt.where(or_(func.lower(AuditEvent.action).like(like),
                                        func.lower(AuditEvent.actor_label).like(like)))
        platform_stmt = platform_stmt.where(or_(func.lower(PlatformAuditEvent.action).like(like),
                                                func.lower(PlatformAuditEvent.actor_label).like(like)))
    if city is not None:
        city_stmt = city_stmt.where(AuditEvent.tenant_id == city.id)
        platform_stmt = platform_stmt.where(PlatformAuditEvent.subject_tenant_id == city.id)
    with all_tenants(reason="platform admin: audit log search"):
        rows = [AuditRow(e.created_at, city_names.get(e.tenant_id, ""), e.actor_label, e.action, e.details,
                         e.support_access, "city") for e in db.session.scalars(city_stmt)]
    rows += [AuditRow(e.created_at, city_names.get(e.subject_tenant_id, "") if e.subject_tenant_id else "",
                      e.actor_label, e.action, e.details, False, "platform") for e in db.session.scalars(platform_stmt)]
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit]
