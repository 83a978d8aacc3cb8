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


def test_desk_answers_appear_as_the_agent_types(live_server, desktop, world):  # noqa: F811
    from civic311.db import db
    from civic311.kb.models import KbArticle
    from civic311.tenancy import tenant_context
    from civic311.tenants.catalog import Category

    with tenant_context(world.a.id):
        db.session.add(KbArticle(title="When is bulk trash picked up?", body="Bulk items go out the first Monday.",
                                 keywords=["bulk", "couch", "mattress"]))
        db.session.add(KbArticle(title="Who fixes potholes?", body="The Roads crew, within three days.",
                                 keywords=["pothole", "road", "hole"]))
        graffiti = db.session.query(Category).filter_by(service_code="GRAFFITI").one()
        graffiti.channels = ["portal", "walk_in"]
        db.session.commit()
    csp_errors: list[str] = []
    desktop.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(desktop, live_server, world.clerk.email)
    desktop.wait_for_url(re.compile(r".*/t/alpha/desk/"))
    box = desktop.get_by_label("Search the knowledge base")
    box.press_sequentially("old couc", delay=40)  # no Enter, no button: the caller is still talking
    expect(desktop.get_by_role("link", name="When is bulk trash picked up?")).to_be_visible()
    expect(desktop.locator("#kb-status")).to_have_text("1 answer for “old couc”.")
    assert desktop.get_by_role("link", name="Who fixes potholes?").count() == 0
    assert "q=old+couc" in desktop.url  # a reload shows the same answers
    box.fill("")
    box.press_sequentially("hole in the road", delay=30)
    expect(desktop.locator("#kb-status")).to_have_text("1 answer for “hole in the road”.")
    expect(desktop.get_by_role("link", name="Who fixes potholes?")).to_be_visible()
    box.press("ArrowDown")  # the keyboard goes from the question to the answers and back
    expect(desktop.get_by_role("link", name="Who fixes potholes?")).to_be_focused()
    desktop.keyboard.press("Escape")
    expect(box).to_be_focused()
    # The kinds of request follow the channel: graffiti is taken from walk-ins only.
    expect(desktop.locator("#service_code option[value=GRAFFITI]")).to_be_disabled()
    desktop.get_by_label("Walk-in").check()
    expect(desktop.locator("#service_code option[value=GRAFFITI]")).to_be_enabled()
    assert desktop.locator("#file-form input[name=channel]").input_value() == "walk_in"
    expect(desktop.locator("#desk-channel")).to_have_text("Walk-in")  # the strip says how they reached us
    screenshot(desktop, "desk-live-answers")
    assert_accessible(desktop, "the agent desk with live answers")
    # "This answered it" from a live result records the contact on the channel picked.
    desktop.get_by_role("button", name="This answered it: record the contact").click()
    expect(desktop.get_by_text("Contact recorded (walk in)")).to_be_visible()
    assert csp_errors == []
