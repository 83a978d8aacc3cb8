"""Billing jobs: seats and usage reported to Stripe, and the grace period that follows a failed payment.

`PERIODIC` is this package's part of the one table of periodic jobs (civic311/platform/periodic.py).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from civic311.actor import Actor, acting_as
from civic311.audit import PlatformAuditEvent
from civic311.billing import gateway, plans, service
from civic311.billing.models import UsageReport
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from civic311.tenants.service import set_status

log = logging.getLogger("civic311.billing.jobs")

# (name, dotted path of job(None), seconds between runs, queue): rows for platform/periodic.py's table.
PERIODIC = (
    ("billing-usage", "civic311.billing.jobs:report_usage", 3600, "billing"),
    ("billing-grace", "civic311.billing.jobs:enforce_grace_periods", 3600, "billing"),
    ("billing-webhook-retry", "civic311.billing.webhooks:retry_failed", 300, "billing"),
)


def sync_seats(tenant_id: uuid.UUID) -> int | None:
    """Job: the subscription's quantity follows the staff seats in use (prorated). Idempotent."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or not tenant.stripe_subscription_id or not gateway.configured():
        return None
    seats = max(service.seats_in_use(tenant), 1)
    base, _ = service.split_items(gateway.subscription(tenant.stripe_subscription_id))
    if base is None or base.get("quantity") == seats:
        return seats
    gateway.set_item_quantity(base["id"], seats, idempotency_key=f"seats-{base['id']}-{seats}-{utcnow():%Y%m%d%H}")
    log.info("%s: %s staff seats reported to Stripe", tenant.slug, seats)
    return seats


def report_usage(_tenant_id: None = None, today: date | None = None) -> int:
    """Periodic: each subscribed city's requests of each finished day, as one Billing Meter event.

    The identifier (city + day) lets Stripe drop a resend; the UsageReport row keeps us from resending.
    One city's failure (Stripe refusing its customer, a bad row) is logged and recorded in the platform audit
    log, its days are left unreported for the next run, and the other cities are still reported."""
    if not gateway.configured():
        return 0
    today = today or utcnow().date()
    sent = 0
    cities = db.session.scalars(select(Tenant).where(Tenant.stripe_subscription_id.is_not(None))).all()
    for tenant in cities:
        try:
            with db.session.begin_nested(), tenant_context(tenant.id):
                sent += _report_city(tenant, today)
        except Exception as exc:  # isolate the city: the savepoint dropped its half-made rows
            log.exception("usage report for %s failed", tenant.slug)
            db.session.add(PlatformAuditEvent(
                actor_user_id=None, actor_label="billing usage report", subject_tenant_id=tenant.id,
                action="billing.usage_report_failed", details={"error": f"{type(exc).__name__}: {exc}"[:500]},
            ))
            db.session.flush()
    return sent


def _report_city(tenant: Tenant, today: date) -> int:
    sent = 0
    for back in range(3, 0, -1):  # the last three finished days: a missed run catches up
        day = today - timedelta(days=back)
        report = db.session.scalar(select(UsageReport).where(UsageReport.day == day))
        if report is not None and report.reported_at is not None:
            continue
        start = datetime.combine(day, time.min, UTC)
        count = service.requests_between(tenant, start, start + timedelta(days=1))
        if report is None:
            report = UsageReport(day=day, requests=count, identifier=f"req-{tenant.id}-{day:%Y%m%d}")
            db.session.add(report)
        if count:
            gateway.report_meter_event(
                customer=tenant.stripe_customer_id, value=count, identifier=report.identifier,
                timestamp=start + timedelta(hours=23, minutes=59), event_name=plans.METER_EVENT_NAME,
            )
        report.requests = count
        report.reported_at = utcnow()
        db.session.flush()
        sent += 1
    return sent


def enforce_grace_periods(_tenant_id: None = None) -> list[str]:
    """Periodic: a city past due for GRACE_DAYS, or whose trial ended unpaid, becomes suspended (read-only
    console; residents see the city's phone number). Nothing is deleted or hidden."""
    now = utcnow()
    suspended = []
    lapsed = db.session.scalars(select(Tenant).where(
        ((Tenant.status == "past_due") & (Tenant.status_changed_at < now - timedelta(days=plans.GRACE_DAYS)))
        | ((Tenant.status == "trial") & (Tenant.trial_ends_at < now) & Tenant.stripe_subscription_id.is_(None))
    )).all()
    with acting_as(Actor.system("billing grace period")):
        for tenant in lapsed:
            reason = (f"payment overdue for {plans.GRACE_DAYS} days" if tenant.status == "past_due"
                      else "trial ended without a subscription")
            set_status(tenant, "suspended", reason)
            suspended.append(tenant.slug)
    return suspended
