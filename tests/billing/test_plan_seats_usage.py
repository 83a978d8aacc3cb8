"""Plan changes are prorated; seats follow staff; requests go to the Billing Meter once per day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic311.accounts.service import create_user, grant_membership, revoke_membership
from civic311.billing.jobs import report_usage
from civic311.billing.models import UsageReport
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from tests.billing.helpers import drain_jobs, file_pothole, make_city_admin, sign_in
from tests.billing.test_subscription_path import city
from tests.billing.test_webhooks import subscribed
from tests.conftest import csrf_token_from


def test_changing_plan_swaps_prices_with_proration(app, two_tenants, stripe_fake, platform_client):
    alpha, _ = two_tenants
    admin = make_city_admin(alpha)
    subscribed(alpha, stripe_fake, "active")
    alpha = city()
    alpha.status, alpha.plan_code = "active", "city"
    db.session.commit()
    sign_in(platform_client, admin)
    page = platform_client.get("/t/alpha/billing/")
    assert "Change plan" in page.text
    response = platform_client.post("/t/alpha/billing/plan", data={
        "csrf_token": csrf_token_from(page.text), "plan": "metro", "interval": "year"}, follow_redirects=True)
    assert response.status_code == 200 and "Your plan is now Metro" in response.text
    [update] = stripe_fake.calls_to("POST", "/v1/subscriptions/sub_1QxSpringfield")
    assert update.params["proration_behavior"] == "create_prorations"
    assert update.params["items[0][id]"] == "si_QxSeats" and update.params["items[0][price]"] == "price_metro_annual"
    assert update.params["items[1][price]"] == "price_metro_requests"
    assert city().plan_code == "metro"


def test_seats_follow_staff_memberships(app, two_tenants, stripe_fake):
    alpha, _ = two_tenants
    make_city_admin(alpha)  # one seat
    subscribed(alpha, stripe_fake, "active")
    drain_jobs(app)
    stripe_fake.calls.clear()
    clerk = create_user("clerk@alpha.example", "Cleo Clerk", "correct horse battery")
    db.session.commit()
    with tenant_context(alpha.id):
        membership = grant_membership(clerk, "staff")
        db.session.commit()
    drain_jobs(app)
    [seats] = stripe_fake.calls_to("POST", "/v1/subscription_items/si_QxSeats")
    assert seats.params == {"quantity": "2", "proration_behavior": "create_prorations"}
    with tenant_context(alpha.id):
        revoke_membership(db.session.merge(membership))
        db.session.commit()
    drain_jobs(app)
    assert [c.params["quantity"] for c in stripe_fake.calls_to("POST", "/v1/subscription_items/si_QxSeats")] == [
        "2", "1"]


def test_requests_are_reported_to_the_meter_once_per_day(app, two_tenants, stripe_fake):
    alpha, _ = two_tenants
    subscribed(alpha, stripe_fake, "active")
    file_pothole(alpha)
    file_pothole(alpha, "Second hole")
    tomorrow = utcnow().date() + timedelta(days=1)
    assert report_usage(None, today=tomorrow) == 3  # the last three days, one with requests
    db.session.commit()
    [event] = stripe_fake.calls_to("POST", "/v1/billing/meter_events")
    assert event.params["event_name"] == "civic311_requests"
    assert event.params["payload[value]"] == "2"
    assert event.params["payload[stripe_customer_id]"] == "cus_QxSpringfield01"
    assert event.params["identifier"] == f"req-{alpha.id}-{utcnow().date():%Y%m%d}"
    assert report_usage(None, today=tomorrow) == 0  # already reported
    with tenant_context(alpha.id):
        assert len(db.session.scalars(select(UsageReport)).all()) == 3


def test_usage_counts_only_this_citys_requests_and_staff(app, two_tenants):
    from civic311.billing.service import usage

    alpha, bravo = two_tenants
    make_city_admin(alpha)
    make_city_admin(bravo, email="mayor@bravo.example", name="Bea Mayor")
    make_city_admin(bravo, email="clerk@bravo.example", name="Cy Clerk")
    file_pothole(alpha)
    for n in range(3):
        file_pothole(bravo, f"Bravo hole {n}")
    alpha_usage, bravo_usage = usage(city("alpha")), usage(city("bravo"))
    assert (alpha_usage.requests, alpha_usage.seats) == (1, 1)
    assert (bravo_usage.requests, bravo_usage.seats) == (3, 2)


def test_one_citys_failing_meter_report_does_not_block_the_others(app, two_tenants, stripe_fake):
    from civic311.audit import PlatformAuditEvent

    alpha, bravo = two_tenants
    subscribed(alpha, stripe_fake, "active")
    bravo = city("bravo")
    bravo.stripe_customer_id, bravo.stripe_subscription_id = "cus_QxBravotown01", "sub_1QxBravotown"
    db.session.commit()
    file_pothole(alpha)
    file_pothole(bravo, "Streetlight out")
    stripe_fake.refused_customers = {"cus_QxSpringfield01"}
    tomorrow = utcnow().date() + timedelta(days=1)

    assert report_usage(None, today=tomorrow) == 3  # bravo's three days; alpha's failed
    db.session.commit()
    sent = {c.params["payload[stripe_customer_id]"] for c in stripe_fake.calls_to("POST", "/v1/billing/meter_events")}
    assert sent == {"cus_QxSpringfield01", "cus_QxBravotown01"}  # alpha was tried, bravo got through
    with tenant_context(bravo.id):
        assert len(db.session.scalars(select(UsageReport)).all()) == 3
    with tenant_context(alpha.id):
        assert db.session.scalars(select(UsageReport)).all() == []  # nothing half-recorded: retried next run
    [failure] = db.session.scalars(select(PlatformAuditEvent).where(
        PlatformAuditEvent.action == "billing.usage_report_failed")).all()
    assert failure.subject_tenant_id == alpha.id and "No such subscription" in failure.details["error"]

    # Stripe accepts alpha again: the next run reports its days, and bravo's are not resent.
    stripe_fake.refused_customers = set()
    stripe_fake.calls.clear()
    assert report_usage(None, today=tomorrow) == 3
    [event] = stripe_fake.calls_to("POST", "/v1/billing/meter_events")
    assert event.params["payload[stripe_customer_id]"] == "cus_QxSpringfield01"
