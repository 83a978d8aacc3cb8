"""In a real browser: a city admin issues an API key on a phone; the developer page reads well."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civic311.accounts.service import create_user, grant_membership
from civic311.db import db
from civic311.tenancy import tenant_context
from tests.browser import assert_accessible, screenshot

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def test_admin_issues_a_key_on_a_phone(live_server, phone, cities):  # noqa: F811
    with tenant_context(cities["alpha"].tenant.id):
        grant_membership(create_user("ada@alphaville.gov", "Ada Admin", PASSWORD), "admin")
        db.session.commit()
    phone.goto(live_server.url("localhost", "/login"))
    phone.fill("#email", "ada@alphaville.gov")
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    phone.goto(live_server.url("localhost", "/t/alpha/settings/api-keys/"))
    expect(phone.get_by_role("heading", name="Open311 API keys")).to_be_visible()
    phone.get_by_role("button", name="Issue key").click()  # empty name: the error sits by the field
    phone.wait_for_load_state()
    expect(phone.locator("#name-error")).to_be_visible()
    assert_accessible(phone, "the keys page with an error")
    phone.fill("#name", "Fix-it app")
    phone.locator("#name").press("Enter")
    phone.wait_for_load_state()
    raw = phone.get_by_test_id("raw-key").inner_text()
    assert re.fullmatch(r"c311_\S+", raw)
    expect(phone.get_by_role("cell", name="Fix-it app", exact=True)).to_be_visible()
    screenshot(phone, "open311-keys")
    assert_accessible(phone, "the keys page")


def test_developer_page(live_server, desktop, cities):  # noqa: F811
    desktop.goto(live_server.url("alpha.localhost", "/developers"))
    expect(desktop.get_by_role("heading", name="Open311 API for Alphaville")).to_be_visible()
    assert "service_code=pothole" in desktop.locator("main").inner_text()
    screenshot(desktop, "open311-developers")
    assert_accessible(desktop, "the developer page")
