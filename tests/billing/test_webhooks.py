"""Webhooks: only Stripe's signature on the raw body is believed; each event acts once; late or
reordered events cannot roll a city back."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from civic311.audit import AuditEvent
from civic311.billing.models import StripeEvent
from civic311.db import db
from civic311.tenancy import all_tenants
from tests.billing.helpers import drain_jobs
from tests.billing.stripe_fake import fixture, signed_event
from tests.billing.test_subscription_path import city, post_event


def subscribed(alpha, stripe_fake, status: str = "active"):
    alpha.stripe_customer_id = "cus_QxSpringfield01"
    alpha.stripe_subscription_id = "sub_1QxSpringfield"
    db.session.commit()
    stripe_fake.for_tenant(alpha.id).set_subscription(status)


def test_a_forged_or_altered_webhook_is_refused_and_not_stored(app, two_tenants, stripe_fake, client):
    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake)
    body, headers = signed_event("customer.subscription.deleted", stripe_fake.subscription, secret="whsec_wrong")
    assert client.post("/billing/stripe/webhook", data=body, headers=headers).status_code == 400
    body, headers = signed_event("invoice.paid", fixture("invoice", tenant_id=alpha.id))
    tampered = body.replace(b'"in_1QxSecond"', b'"in_1QxForged"')
    assert client.post("/billing/stripe/webhook", data=tampered, headers=headers).status_code == 400
    assert client.post("/billing/stripe/webhook", data=body, headers={}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert city().status == "trial"


def test_the_webhook_lives_only_on_the_platform_host(app, two_tenants, stripe_fake, tenant_client):
    body, headers = signed_event("invoice.paid", {})
    response = tenant_client("alpha").post("/billing/stripe/webhook", data=body, headers=headers,
                                           base_url="http://alpha.localhost")
    assert response.status_code == 404


def test_a_redelivered_event_is_stored_and_acted_on_once(app, two_tenants, stripe_fake, client):
    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake, "past_due")
    body, headers = signed_event("invoice.payment_failed", fixture("invoice", tenant_id=alpha.id),
                                 event_id="dup000001")
    for _ in range(3):
        assert client.post("/billing/stripe/webhook", data=body, headers=headers).status_code == 200
        drain_jobs(app)
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    assert city().status == "past_due"
    with all_tenants(reason="test: count status changes"):
        changes = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "tenant.status_changed", AuditEvent.tenant_id == alpha.id))
    assert changes == 1


def test_an_old_event_arriving_late_does_not_undo_a_newer_one(app, two_tenants, stripe_fake, client):
    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake, "active")
    now = int(time.time())
    # The payment was retried and succeeded; the failure event from before is delivered after it.
    post_event(client, app, "invoice.paid", {**fixture("invoice", tenant_id=alpha.id), "status": "paid"},
               created=now)
    post_event(client, app, "invoice.payment_failed", fixture("invoice", tenant_id=alpha.id), created=now - 3600)
    assert city().status == "active"


def test_an_event_for_an_unknown_customer_waits_as_failed_and_can_be_retried(app, two_tenants, stripe_fake, client):
    alpha, _ = two_tenants
    stripe_fake.for_tenant(alpha.id)
    invoice = {**fixture("invoice", tenant_id=alpha.id), "customer": "cus_NotYetKnown"}
    post_event(client, app, "invoice.paid", invoice)
    row = db.session.scalar(select(StripeEvent))
    assert row.status == "failed" and "no city" in row.error

    # The customer id is recorded (say the checkout event came later); a retry now succeeds.
    db.session.expire_all()
    alpha = city()
    alpha.stripe_customer_id = "cus_NotYetKnown"
    from civic311.billing import webhooks

    webhooks.retry(db.session.get(StripeEvent, row.id))
    db.session.commit()
    drain_jobs(app)
    db.session.expire_all()
    assert db.session.get(StripeEvent, row.id).status == "processed"
    assert city().status == "active"


def test_events_we_do_not_use_are_stored_and_ignored(app, two_tenants, stripe_fake, client):
    post_event(client, app, "customer.updated", {"id": "cus_x", "object": "customer"})
    row = db.session.scalar(select(StripeEvent))
    assert row.status == "ignored" and json.dumps(row.payload)


def test_a_signed_event_with_a_non_integer_created_time_is_refused_not_a_500(app, two_tenants, stripe_fake, client):
    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake)
    for created in ("soon", 1.5, [1]):
        body, headers = signed_event("invoice.paid", fixture("invoice", tenant_id=alpha.id), created=created)
        assert client.post("/billing/stripe/webhook", data=body, headers=headers).status_code == 400
    assert db.session.scalars(select(StripeEvent)).all() == []


def test_requests_and_recorded_events_carry_the_pinned_api_version(app, two_tenants, stripe_fake):
    from civic311.billing import gateway

    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake)
    assert gateway.API_VERSION == "2026-10-28.endive"
    gateway.subscription("sub_1QxSpringfield")
    assert stripe_fake.calls[-1].headers["Stripe-Version"] == "2026-10-28.endive"
    body, _ = signed_event("invoice.paid", fixture("invoice", tenant_id=alpha.id))
    assert json.loads(body)["api_version"] == "2026-10-28.endive"
