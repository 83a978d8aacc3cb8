"""The city's billing page: only its admins, the billing contact kept with what was typed on error."""

from __future__ import annotations

from sqlalchemy import select

from civic311.accounts.service import create_user, grant_membership
from civic311.audit import AuditEvent
from civic311.db import db
from civic311.tenancy import tenant_context
from tests.billing.helpers import forget_request_user, make_city_admin, sign_in
from tests.billing.test_subscription_path import city
from tests.conftest import csrf_token_from


def test_billing_contact_is_checked_kept_and_audited(app, two_tenants, platform_client):
    alpha, _ = two_tenants
    sign_in(platform_client, make_city_admin(alpha))
    page = platform_client.get("/t/alpha/billing/")
    assert 'value="mayor@alpha.example"' in page.text  # the first admin until someone is named
    forget_request_user()
    bad = platform_client.post("/t/alpha/billing/contact", data={
        "csrf_token": csrf_token_from(page.text), "billing_email": "treasurer at alphaville"})
    assert bad.status_code == 422
    assert 'value="treasurer at alphaville"' in bad.text and 'aria-invalid="true"' in bad.text
    forget_request_user()
    good = platform_client.post("/t/alpha/billing/contact", data={
        "csrf_token": csrf_token_from(page.text), "billing_email": "Treasurer@Alphaville.example"})
    assert good.status_code == 302
    assert city().billing_email == "treasurer@alphaville.example"
    with tenant_context(alpha.id):
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.contact_changed"))


def test_only_the_citys_admins_see_billing_and_other_cities_answer_404(app, two_tenants, platform_client):
    alpha, bravo = two_tenants
    make_city_admin(bravo, email="mayor@bravo.example", name="Bea Mayor")
    clerk = create_user("clerk@alpha.example", "Cleo Clerk", "correct horse battery")
    db.session.commit()
    with tenant_context(alpha.id):
        grant_membership(clerk, "staff")
        db.session.commit()
    sign_in(platform_client, clerk)
    assert platform_client.get("/t/alpha/billing/").status_code == 403
    assert platform_client.get("/t/bravo/billing/").status_code == 404
    assert platform_client.get("/t/alpha/export").status_code == 403
    assert platform_client.get("/t/bravo/export").status_code == 404
    forget_request_user()
    assert platform_client.get("/t/alpha/support-access").status_code == 403


def test_checkout_return_says_the_plan_is_on_its_way(app, two_tenants, platform_client):
    alpha, _ = two_tenants
    sign_in(platform_client, make_city_admin(alpha))
    page = platform_client.get("/t/alpha/billing/?checkout=done")
    assert "Stripe is confirming the payment" in page.text


def test_the_customer_portal_button_sends_the_admin_to_stripe_with_a_way_back(
    app, two_tenants, platform_client, stripe_fake
):
    alpha, _ = two_tenants
    alpha.stripe_customer_id = "cus_QxSpringfield01"
    db.session.commit()
    sign_in(platform_client, make_city_admin(alpha))
    page = platform_client.get("/t/alpha/billing/")
    forget_request_user()
    response = platform_client.post("/t/alpha/billing/portal", data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 303
    assert response.location == "https://billing.stripe.com/p/session/test_YWNjdF9TcHJpbmdmaWVsZA"
    [call] = stripe_fake.calls_to("POST", "/v1/billing_portal/sessions")
    assert call.params["customer"] == "cus_QxSpringfield01"
    assert call.params["return_url"].endswith("/t/alpha/billing/")
    assert call.headers.get("Authorization") == "Bearer sk_test_civic311"

    # Stripe down: back to the billing page with a message, not a 500.
    stripe_fake.down = True
    forget_request_user()
    response = platform_client.post("/t/alpha/billing/portal", data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 302 and response.location.endswith("/t/alpha/billing/")
    forget_request_user()
    assert "Billing is unavailable right now" in platform_client.get("/t/alpha/billing/").text
