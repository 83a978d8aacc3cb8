"""The whole life of a subscription, driven by signed webhooks through the real stripe library:
trial -> Checkout -> active -> payment failed -> past_due -> paid -> active, then cancel -> canceled ->
exported."""

from __future__ import annotations

import io
import json
import time
import zipfile

from sqlalchemy import select

from civic311.billing.models import BillingNotice, StripeEvent
from civic311.db import db
from civic311.tenants.models import Tenant
from tests.billing.helpers import drain_jobs, file_pothole, forget_request_user, make_city_admin, sign_in
from tests.billing.stripe_fake import fixture, signed_event
from tests.conftest import csrf_token_from


def post_event(client, app, event_type: str, obj: dict, **kw):
    body, headers = signed_event(event_type, obj, **kw)
    response = client.post("/billing/stripe/webhook", data=body, headers=headers)
    forget_request_user()
    assert response.status_code == 200, (response.status_code, response.location, response.text[:300])
    drain_jobs(app)
    return response


def city(slug: str = "alpha") -> Tenant:
    db.session.expire_all()
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def test_a_city_goes_from_trial_to_paying_to_overdue_and_back_then_cancels_and_exports(
    app, two_tenants, stripe_fake, platform_client, client
):
    alpha, _ = two_tenants
    admin = make_city_admin(alpha)
    file_pothole(alpha)
    stripe_fake.for_tenant(alpha.id)
    sign_in(platform_client, admin)

    page = platform_client.get("/t/alpha/billing/")
    assert page.status_code == 200
    assert "Your free trial ends on" in page.text and "Continue to payment" in page.text
    assert "No plan chosen yet" in page.text and "$799.00 a month or $7990.00 a year" in page.text

    # The admin picks the City plan: off to Stripe Checkout, the trial's remaining days carried over.
    response = platform_client.post("/t/alpha/billing/plan", data={
        "csrf_token": csrf_token_from(page.text), "plan": "city", "interval": "month"})
    assert response.status_code == 303
    assert response.location.startswith("https://checkout.stripe.com/")
    [checkout] = stripe_fake.calls_to("POST", "/v1/checkout/sessions")
    assert checkout.params["mode"] == "subscription"
    assert checkout.params["line_items[0][price]"] == "price_city_monthly"
    assert checkout.params["line_items[0][quantity]"] == "1"  # one staff seat in use
    assert checkout.params["line_items[1][price]"] == "price_city_requests"
    assert checkout.params["client_reference_id"] == str(alpha.id)
    assert int(checkout.params["subscription_data[trial_end]"]) > time.time()
    [customer] = stripe_fake.calls_to("POST", "/v1/customers")
    assert customer.headers.get("Idempotency-Key") == f"customer-{alpha.id}"
    assert city().stripe_customer_id == "cus_QxSpringfield01"

    # Checkout completes; the subscription is trialing until the trial's end.
    stripe_fake.set_subscription("trialing", trial_end=int(time.time()) + 20 * 86400)
    session = {**fixture("checkout_session", tenant_id=alpha.id), "status": "complete",
               "subscription": "sub_1QxSpringfield"}
    post_event(client, app, "checkout.session.completed", session)
    assert (city().status, city().plan_code, city().stripe_subscription_id) == ("trial", "city", "sub_1QxSpringfield")

    # The trial ends and the first invoice is paid: active.
    post_event(client, app, "customer.subscription.updated", stripe_fake.set_subscription("active", trial_end=None))
    assert city().status == "active"

    # A renewal fails: past_due, a banner on the billing page, an e-mail to the billing contact.
    stripe_fake.set_subscription("past_due")
    post_event(client, app, "invoice.payment_failed", fixture("invoice", tenant_id=alpha.id))
    assert city().status == "past_due"
    notice = db.session.scalar(select(BillingNotice).where(BillingNotice.kind.like("past_due-%")))
    assert notice.sent_to == "mayor@alpha.example" and "Payment failed" in notice.subject
    page = platform_client.get("/t/alpha/billing/")
    assert "The last payment failed" in page.text
    assert "A1B2C3D4-0001" in page.text  # invoices listed
    assert "1 of 5,000" in page.text and "1 of 25" in page.text  # requests and seats against the City plan
    assert "$799.00" in page.text  # the next invoice

    # The card is updated and the invoice paid: active again.
    stripe_fake.set_subscription("active")
    post_event(client, app, "invoice.paid", {**fixture("invoice", tenant_id=alpha.id), "status": "paid"})
    assert city().status == "active"

    # Canceled from the Customer Portal: canceled, data kept and exportable.
    now = int(time.time())
    post_event(client, app, "customer.subscription.deleted",
               stripe_fake.set_subscription("canceled", canceled_at=now, ended_at=now))
    assert city().status == "canceled" and city().canceled_at is not None
    page = platform_client.get("/t/alpha/billing/")
    assert "Everything stays exportable until" in page.text

    page = platform_client.get("/t/alpha/export")
    assert page.status_code == 200
    response = platform_client.post("/t/alpha/export", data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 302
    drain_jobs(app)
    page = platform_client.get("/t/alpha/export")
    assert "Download" in page.text
    link = page.text.split('href="/t/alpha/export/')[1].split('"')[0]
    download = platform_client.get(f"/t/alpha/export/{link}")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    requests = json.loads(archive.read("data/service_requests.json"))
    assert [r["description"] for r in requests] == ["Deep hole by the school"]
    assert json.loads(archive.read("manifest.json"))["city"]["slug"] == "alpha"
    assert "password_hash" not in archive.read("data/staff.json").decode()

    # Every event was stored once and processed.
    events = db.session.scalars(select(StripeEvent)).all()
    assert len(events) == 5 and {e.status for e in events} == {"processed"}
