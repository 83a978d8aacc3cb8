"""Issue #7, "done when": a newcomer, starting from the platform home page of the demo, creates a new city and
files a first request on its portal without touching the command line.

Runs on the real demo seed (civic311/demo/seed.py, a few requests per city to stay quick), served as
`civic311 demo` serves it (its own SQLite instance, the demo mailbox on), in headless Chromium. The
confirmation e-mail is read where a newcomer reads it: the /demo/mailbox page the wizard links to.
Screenshots: artifacts/screenshots/newcomer-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from tests.browser import LiveServer, assert_accessible, says, screenshot
from tests.demo.test_demo import _demo_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    from civic311.demo.seed import prepare_demo
    from civic311.platform.notifications.mail import LOG_OUTBOX

    app = _demo_app(tmp_path_factory.mktemp("demo-newcomer"))
    prepare_demo(app, requests_per_city=15)
    app.config["DEMO_MAILBOX"] = True  # as `civic311 demo` sets it before serving
    LOG_OUTBOX.clear()
    server = LiveServer(app)
    yield app, server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _next_step(page) -> None:
    page.get_by_role("button", name="Done: next step").click()


def test_a_newcomer_creates_a_city_and_files_its_first_request_from_the_demo_home_page(demo_server, desktop):
    app, server = demo_server
    page = desktop
    page.goto(server.url("localhost", "/"))
    says(page, "Start your city")
    page.get_by_role("link", name="Start your city").first.click()
    says(page, "Web address")

    # the address is checked as it is typed: Springfield is the demo's, "admin" is reserved
    page.get_by_label("City name").fill("Springfield")
    expect(page.locator("#slug-status")).to_contain_text("already taken")
    expect(page.get_by_label("Web address")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "signup, address taken")
    page.get_by_label("Web address").fill("admin")
    expect(page.locator("#slug-status")).to_contain_text("reserved")
    page.get_by_label("City name").fill("Ogdenville")
    page.get_by_label("Web address").fill("ogdenville")
    expect(page.locator("#slug-status")).to_contain_text("free")
    expect(page.get_by_label("Web address")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Time zone").select_option("America/Chicago")
    page.get_by_label("Your name").fill("Olive Clerk")
    page.get_by_label("Your work e-mail").fill("olive@ogdenville.gov")
    page.get_by_label("Choose a password").fill("olive's long password")
    screenshot(page, "newcomer-01-signup")
    page.get_by_role("button", name="Create my city").click()
    page.wait_for_url(re.compile(r"/t/ogdenville/settings/setup$"))
    says(page, "Confirm your e-mail address")

    # the confirmation e-mail, from the demo mailbox the wizard links to
    page.get_by_role("link", name="open the demo mailbox").click()
    says(page, "Demo mailbox")
    message = page.locator("article", has_text="olive@ogdenville.gov").first
    expect(message).to_contain_text("Confirm your e-mail address")
    screenshot(page, "newcomer-02-mailbox")
    message.locator("a[href*='/signup/verify/']").first.click()
    says(page, "your e-mail address is confirmed")
    expect(page.locator("body")).not_to_contain_text("Confirm your e-mail address: we sent")

    # the wizard: the busiest departments' categories from the starter catalog, then on to going live
    page.locator("#continue-setup").click()
    page.locator("input[name=group][value=streets]").check()
    page.get_by_role("button", name="Adopt the chosen ones").click()
    says(page, "categories added from the starter catalog")
    _next_step(page)
    says(page, "Save branding")
    page.get_by_label("Welcome text in English").fill("Tell Ogdenville what needs fixing.")
    page.get_by_role("button", name="Save branding").click()
    says(page, "Branding saved.")
    _next_step(page)
    for heading in ("Channels", "Working hours and holidays", "Zones", "Routing rules", "Staff", "Knowledge base",
                    "Custom domain"):  # each can wait: the clerk comes back to them from the settings menu
        expect(page.locator("h1")).to_have_text(heading)
        _next_step(page)
    expect(page.locator("h1")).to_have_text("Preview and go live")
    page.locator("#go-live").click()
    says(page, "is live since")
    screenshot(page, "newcomer-03-live")

    # the new city's portal, from the link on that page, and a first request
    page.get_by_role("link", name=server.url("ogdenville.localhost", "/"), exact=True).click()
    says(page, "Tell Ogdenville what needs fixing.")
    page.get_by_role("link", name="Report a problem").first.click()
    page.check("#cat-pothole")
    page.locator("#category-form button[type=submit]").click()
    page.get_by_label("Smaller than a dinner plate").check()
    page.locator("form button.primary").click()
    page.locator("#address").fill("742 Evergreen Terrace")
    page.locator("form button.primary").click()
    expect(page.locator("h1")).to_have_text("How can we reach you?")
    page.locator("form button.primary").click()  # no contact details: anonymous
    page.locator("#review-form button.primary").click()
    expect(page.locator("#tracking-number")).to_be_visible()
    screenshot(page, "newcomer-04-first-request")

    with app.app_context():
        city = db.session.scalar(select(Tenant).where(Tenant.slug == "ogdenville"))
        assert city.live_at is not None and city.status == "trial"
        with tenant_context(city.id):
            requests = db.session.scalars(select(ServiceRequest)).all()
            assert len(requests) == 1
            assert requests[0].service_code == "pothole" and requests[0].address == "742 Evergreen Terrace"
            assert page.locator("#tracking-number").inner_text() == requests[0].number
        springfield = db.session.scalar(select(Tenant).where(Tenant.slug == "springfield"))
        with tenant_context(springfield.id):  # the demo's own cities are untouched
            assert db.session.scalar(select(func.count(ServiceRequest.id))) >= 15
