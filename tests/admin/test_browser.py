"""The billing page and the platform admin in a real browser: signed in through the real forms
(password, then TOTP for the platform admin), checked with axe-core, screenshots kept."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import expect

from tests.billing.helpers import file_pothole, make_city_admin, make_platform_admin
from tests.browser import assert_accessible, screenshot

pytestmark = pytest.mark.browser


def _sign_in(page, server, email: str, totp_secret: str | None = None) -> None:
    page.goto(server.url("localhost", "/login"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.keyboard.press("Enter")
    if totp_secret:
        page.wait_for_url("**/login/2fa")
        page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(totp_secret).now())
        page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def test_billing_page_on_a_phone(app, two_tenants, live_server, phone):
    alpha, _ = two_tenants
    make_city_admin(alpha)
    file_pothole(alpha)
    _sign_in(phone, live_server, "mayor@alpha.example")
    phone.goto(live_server.url("localhost", "/t/alpha/billing/"))
    expect(phone.get_by_role("heading", name="Billing for Alphaville")).to_be_visible()
    expect(phone.get_by_text("Your free trial ends on")).to_be_visible()
    screenshot(phone, "billing-page-phone")
    assert_accessible(phone, "billing page")
    phone.goto(live_server.url("localhost", "/t/alpha/support-access"))
    screenshot(phone, "support-access-phone")
    assert_accessible(phone, "support access page")


def test_platform_admin_finds_a_city_and_suspends_it(app, two_tenants, live_server, desktop):
    make_platform_admin()
    _sign_in(desktop, live_server, "ops@civic311.example", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    desktop.goto(live_server.url("localhost", "/admin/"))
    screenshot(desktop, "admin-figures")
    assert_accessible(desktop, "admin figures")
    desktop.get_by_role("link", name="Cities").first.click()
    desktop.get_by_label("Search by name, address or billing e-mail").fill("alpha")
    desktop.get_by_role("button", name="Search").click()
    desktop.get_by_role("link", name="Alphaville").click()
    assert_accessible(desktop, "admin city page")
    desktop.get_by_label("Reason").first.fill("Test of the suspension flow")
    desktop.get_by_role("button", name="Suspend").click()
    expect(desktop.get_by_text("is suspended").first).to_be_visible()
    screenshot(desktop, "admin-city-suspended")
