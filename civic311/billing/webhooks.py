"""Stripe webhooks: verified on the raw body, stored once by event id, processed in a job.

Safe against duplicates (the event id is unique; a processed event is skipped) and against out-of-order
delivery: a subscription event never trusts the object it carries, it re-reads the subscription from
Stripe and mirrors what is true now.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic311.actor import Actor, acting_as
from civic311.billing import gateway, service
from civic311.billing.models import StripeEvent
from civic311.db import db, utcnow
from civic311.jobs import enqueue_after_commit
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.billing.webhooks")

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
    "customer.subscription.paused", "customer.subscription.resumed", "customer.subscription.trial_will_end",
}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"}
MAX_ATTEMPTS = 5


def receive(payload: bytes, signature: str | None) -> StripeEvent | None:
    """Verify and store one webhook delivery; None when this event id was already stored."""
    event = gateway.verified_event(payload, signature)
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.stripe_id == event["id"])):
        return None
    row = StripeEvent(
        stripe_id=event["id"], type=event.get("type", ""), payload=event,
        event_created=datetime.fromtimestamp(event["created"], UTC),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same event delivered twice at once
        return None
    schedule(row)
    return row


def schedule(row: StripeEvent) -> None:
    enqueue_after_commit("civic311.billing.webhooks:process_event", None, str(row.id), queue="billing",
                         job_id=f"stripe-{row.stripe_id}-{row.attempts}")


def process_event(_tenant_id: None, event_row_id: str) -> str:
    """Job: act on one stored event. Runs once per event however often it is asked."""
    row = db.session.scalar(
        select(StripeEvent).where(StripeEvent.id == uuid.UUID(event_row_id)).with_for_update(skip_locked=True)
    )
    if row is None or row.status in ("processed", "ignored"):
        return "skipped"
    row.attempts += 1
    try:
        with db.session.begin_nested(), acting_as(Actor.system("Stripe webhook")):
            outcome = _handle(row)
    except Exception as exc:  # kept for the platform admin to see and retry; the sweep retries too
        log.exception("stripe event %s failed", row.stripe_id)
        row.status = "failed"
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        return "failed"
    row.status = outcome
    row.error = None
    row.processed_at = utcnow()
    return outcome


def _handle(row: StripeEvent) -> str:
    obj = row.payload.get("data", {}).get("object", {})
    if row.type == "checkout.session.completed":
        subscription_id = obj.get("subscription")
        tenant = _tenant_for(obj.get("client_reference_id"), obj.get("customer"))
    elif row.type in SUBSCRIPTION_EVENTS:
        subscription_id = obj.get("id")
        tenant = _tenant_for((obj.get("metadata") or {}).get("tenant_id"), obj.get("customer"))
    elif row.type in INVOICE_EVENTS:
        subscription_id = _invoice_subscription(obj)
        tenant = _tenant_for(None, obj.get("customer"))
    else:
        return "ignored"
    if tenant is None:
        raise LookupError(f"no city for {row.type} (customer {obj.get('customer')})")
    row.subject_tenant_id = tenant.id
    if not subscription_id:
        return "ignored"
    if row.type == "checkout.session.completed" and obj.get("customer"):
        tenant.stripe_customer_id = obj["customer"]
    current = gateway.subscription(subscription_id)  # the truth now, whatever order events came in
    service.apply_subscription(tenant, current, reason=f"Stripe: {row.type} (subscription {current['status']})")
    return "processed"


def _invoice_subscription(invoice: dict) -> str | None:
    # Newer API versions moved it under parent.subscription_details; older ones had it at the top.
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return parent.get("subscription") or invoice.get("subscription")


def _tenant_for(tenant_id: str | None, customer: str | None) -> Tenant | None:
    if tenant_id:
        try:
            tenant = db.session.get(Tenant, uuid.UUID(tenant_id))
        except ValueError:
            tenant = None
        if tenant is not None:
            return tenant
    if customer:
        return db.session.scalar(select(Tenant).where(Tenant.stripe_customer_id == customer))
    return None


def retry(row: StripeEvent) -> None:
    """A platform admin (or the sweep) asks for a failed event to be processed again."""
    row.status = "received"
    schedule(row)


def retry_failed(_tenant_id: None = None) -> int:
    """Periodic: give failed events a few more tries (a city created after its first event, Stripe down)."""
    rows = db.session.scalars(
        select(StripeEvent).where(
            StripeEvent.status.in_(("failed", "received")),
            StripeEvent.attempts < MAX_ATTEMPTS,
            StripeEvent.created_at < utcnow() - timedelta(minutes=2),
        ).limit(200)
    ).all()
    for row in rows:
        retry(row)
    return len(rows)
