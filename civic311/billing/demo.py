"""Demo billing: Springfield pays for the City plan; Shelbyville is in its trial. No Stripe is called
(the demo has no STRIPE_API_KEY): the rows look as the webhooks would have left them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from civic311.actor import Actor, acting_as
from civic311.billing import plans
from civic311.billing.models import StripeEvent
from civic311.db import db, utcnow
from civic311.demo.context import DemoContext
from civic311.tenants.service import set_status


def seed(ctx: DemoContext) -> None:
    springfield, shelbyville = ctx.cities.get("springfield"), ctx.cities.get("shelbyville")
    now = utcnow()
    with acting_as(Actor.system("Stripe webhook")):
        if springfield is not None:
            springfield.plan_code = "city"
            springfield.billing_email = "treasurer@springfield.test"
            springfield.stripe_customer_id = "cus_DemoSpringfield"
            springfield.stripe_subscription_id = "sub_DemoSpringfield"
            springfield.trial_ends_at = now - timedelta(days=41)
            set_status(springfield, "active", "Stripe: invoice.paid (subscription active)")
            db.session.add(StripeEvent(
                stripe_id="evt_DemoSpringfieldPaid", type="invoice.paid", subject_tenant_id=springfield.id,
                event_created=now - timedelta(days=11), status="processed", attempts=1,
                processed_at=now - timedelta(days=11),
                payload={"id": "evt_DemoSpringfieldPaid", "object": "event", "type": "invoice.paid",
                         "data": {"object": {"object": "invoice", "customer": "cus_DemoSpringfield",
                                             "amount_paid": plans.PLANS["city"].monthly_cents}}},
            ))
        if shelbyville is not None:
            shelbyville.billing_email = "clerk@shelbyville.test"
            shelbyville.trial_ends_at = now + timedelta(days=18)
            set_status(shelbyville, "trial", "signed up")
    # One event that arrived for a customer no city claims: what the platform admin's retry page is for.
    created = datetime.fromtimestamp(int(now.timestamp()) - 3600, UTC)
    db.session.add(StripeEvent(
        stripe_id="evt_DemoUnknownCustomer", type="invoice.payment_failed", event_created=created, status="failed",
        attempts=5, error="LookupError: no city for invoice.payment_failed (customer cus_DemoDeletedTest)",
        payload={"id": "evt_DemoUnknownCustomer", "object": "event", "type": "invoice.payment_failed",
                 "data": {"object": {"object": "invoice", "customer": "cus_DemoDeletedTest"}}},
    ))
    db.session.flush()
    ctx.say("Billing: Springfield on the City plan (active), Shelbyville in trial for 18 more days; "
            "billing page at /t/<city>/billing/")
