"""In a real browser: a supervisor's queue and request page, a phone intake, and an operator agent
switching between two cities. Everyone signs in through the real login form."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser import assert_accessible, screenshot
from tests.console.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, server, email: str, totp_secret: str | None = None) -> None:
    page.goto(server.url("localhost", "/login"))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    if totp_secret:
        page.wait_for_url(re.compile(r".*/login/2fa"))
        page.fill("#code", pyotp.TOTP(totp_secret).now())
        page.click("button[type=submit]")


def test_supervisor_works_the_queue(live_server, desktop, world):  # noqa: F811
    sign_in(desktop, live_server, world.supervisor.email)
    desktop.wait_for_url(re.compile(r".*/t/alpha/queue"))
    assert desktop.get_by_test_id("city-name").inner_text() == "Alphaville"
    expect(desktop.get_by_role("link", name=world.pothole.number)).to_be_visible()
    desktop.get_by_text("Filters", exact=True).click()
    desktop.select_option("#f-department", label="Parks")
    desktop.get_by_role("button", name="Show").click()
    desktop.wait_for_url(re.compile(r".*department=.*"))
    expect(desktop.get_by_role("link", name=world.graffiti.number)).to_be_visible()
    assert desktop.get_by_role("link", name=world.pothole.number).count() == 0
    screenshot(desktop, "console-queue")
    assert_accessible(desktop, "the queue")


def test_request_detail_acts_and_shows_history(live_server, phone, world):  # noqa: F811
    sign_in(phone, live_server, world.supervisor.email)
    phone.wait_for_url(re.compile(r".*/t/alpha/queue"))
    phone.get_by_role("link", name=world.pothole.number).click()
    phone.wait_for_url(re.compile(rf".*/requests/{world.pothole.number}"))
    expect(phone.get_by_text("How big is it?")).to_be_visible()
    expect(phone.get_by_text("pat@example.com")).to_be_visible()
    assert "39.780000, -89.650000" in phone.get_by_test_id("coords").inner_text()
    phone.get_by_role("button", name="Acknowledge").click()
    phone.wait_for_load_state()
    phone.fill("#note-message", "Crew 4 will take it on Tuesday.")
    phone.get_by_role("button", name="Add note").click()
    phone.wait_for_load_state()
    history = phone.locator("#history").inner_text()
    assert "acknowledged" in history.lower() and "Crew 4 will take it on Tuesday." in history
    screenshot(phone, "console-request-detail")
    assert_accessible(phone, "a request's page")


def test_phone_intake_by_a_city_agent(live_server, phone, world):  # noqa: F811
    sign_in(phone, live_server, world.clerk.email)
    phone.wait_for_url(re.compile(r".*/t/alpha/desk/"))
    phone.fill("#phone", "217-555-0100")
    phone.get_by_role("button", name="Search").click()
    expect(phone.get_by_text(world.pothole.number)).to_be_visible()  # the caller's history
    phone.select_option("#service_code", label="Pothole")
    phone.get_by_role("button", name="Ask the questions").click()
    phone.select_option("#q_size", "small")
    phone.fill("#address", "18 Walnut St")
    phone.fill("#name", "Jordan Caller")
    phone.get_by_role("button", name="File the request").click()
    phone.wait_for_url(re.compile(r".*/desk/filed/.*"))
    number = phone.get_by_test_id("tracking-number").inner_text()
    assert re.fullmatch(r"[A-Z]+-\d\d-\d{6}", number)
    screenshot(phone, "desk-phone-intake-filed")
    assert_accessible(phone, "the tracking number read-back")


def test_operator_agent_switches_between_two_cities(live_server, desktop, world):  # noqa: F811
    sign_in(desktop, live_server, world.operator.email, world.operator.totp_secret)
    desktop.wait_for_url(re.compile(r".*/ops/"))
    assert_accessible(desktop, "the operators' workspace")
    desktop.get_by_role("link", name="Take a call for Alphaville").click()
    assert desktop.get_by_test_id("desk-city").inner_text() == "Alphaville"
    assert desktop.get_by_test_id("script").inner_text() == "Thank you for calling Alphaville 311."
    desktop.fill("#note", "Asked when the pool opens")
    desktop.get_by_role("button", name="Record the contact").click()
    expect(desktop.get_by_text("Contact recorded")).to_be_visible()
    screenshot(desktop, "ops-desk-alphaville")
    desktop.get_by_role("link", name="All my cities").click()
    desktop.get_by_role("link", name="Take a call for Bravotown").click()
    assert desktop.get_by_test_id("desk-city").inner_text() == "Bravotown"
    assert desktop.get_by_test_id("script").inner_text() == "Bravotown 311, how can I help?"
    assert desktop.get_by_test_id("city-name").inner_text() == "Bravotown"
    screenshot(desktop, "ops-desk-bravotown")
    assert_accessible(desktop, "the agent desk")
