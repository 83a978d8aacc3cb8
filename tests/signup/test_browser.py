"""From the platform home page to a live city and its first request, in a real browser (headless Debian
Chromium), without the command line: start your city, confirm the e-mail, walk the wizard, go live,
then file a request on the new city's portal. Screenshots: artifacts/screenshots/signup-*.png."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from tests.browser import assert_accessible, says, screenshot

pytestmark = pytest.mark.browser

WARDS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "North Ward"},
     "geometry": {"type": "Polygon", "coordinates": [[[-105.1, 40.0], [-105.0, 40.0], [-105.0, 40.1], [-105.1, 40.1],
                                                      [-105.1, 40.0]]]}},
    {"type": "Feature", "properties": {"name": "South Ward"},
     "geometry": {"type": "Polygon", "coordinates": [[[-105.1, 39.9], [-105.0, 39.9], [-105.0, 40.0], [-105.1, 40.0],
                                                      [-105.1, 39.9]]]}},
]}


def _check(page, name: str) -> None:
    screenshot(page, f"signup-{name}")
    assert_accessible(page, name)


def _next_step(page) -> None:
    page.get_by_role("button", name="Done: next step").click()


def test_a_clerk_goes_from_the_home_page_to_a_live_city(app, live_server, desktop):
    from civic311.platform.notifications.mail import LOG_OUTBOX

    LOG_OUTBOX.clear()
    page = desktop
    page.goto(live_server.url("localhost", "/"))
    _check(page, "01-home")
    says(page, "$199")
    page.locator("#start-your-city").click()
    _check(page, "02-start")

    # the address is checked as it is typed
    page.get_by_label("Web address").fill("admin")
    page.wait_for_function("() => document.getElementById('slug-status').textContent.includes('reserved')")
    page.get_by_label("City name").fill("Riverton")
    page.get_by_label("Web address").fill("")
    page.get_by_label("Web address").type("riverton")
    page.wait_for_function("() => document.getElementById('slug-status').textContent.includes('free')")
    page.get_by_label("Time zone").select_option("America/Denver")
    page.get_by_label("Your name").fill("Dana Clerk")
    page.get_by_label("Your work e-mail").fill("dana@riverton.gov")
    page.get_by_label("Choose a password").fill("a long enough password")
    page.get_by_role("button", name="Create my city").click()
    page.wait_for_url(re.compile(r"/t/riverton/settings/setup$"))
    says(page, "Confirm your e-mail address")
    _check(page, "03-wizard-start")

    # the confirmation link from the e-mail (the embedded mode's mail log)
    link = re.search(r"(http://localhost\S*/signup/verify/\S+)", LOG_OUTBOX[-1].get_content()).group(1)
    page.goto(link.replace("http://localhost/", live_server.url("localhost", "/")))
    page.goto(live_server.url("localhost", "/t/riverton/settings/setup"))
    assert "Confirm your e-mail address" not in page.content()

    # 1. departments and categories from the starter catalog
    page.locator("#continue-setup").click()
    page.locator("input[name=group][value=streets]").check()
    page.locator("input[name=group][value=trash]").check()
    page.get_by_role("button", name="Adopt the chosen ones").click()
    says(page, "categories added from the starter catalog")
    page.get_by_role("button", name="Pause Sanitation").click()  # phases: trash goes live later
    says(page, "Sanitation is paused")
    _check(page, "04-catalog")
    _next_step(page)
    # 2. branding, with the contrast check
    page.get_by_label("Main colour").fill("#f5d000")
    page.get_by_role("button", name="Save branding").click()
    expect(page.locator("#primary_color-error")).to_be_visible()
    _check(page, "05-branding-error")
    page.get_by_label("Main colour").fill("#0b5394")
    page.get_by_label("Welcome text in English").fill("Tell Riverton what needs fixing.")
    page.get_by_label("City phone number").fill("(970) 555-0311")
    page.get_by_role("button", name="Save branding").click()
    says(page, "Branding saved.")
    _next_step(page)
    # 3. channels, 4. hours and holidays
    says(page, "Which categories each channel offers")
    _next_step(page)
    assert "Christmas Day" in page.locator("#national-holidays").inner_text()  # the national calendar applies
    page.get_by_role("button", name="Save the national calendar").click()
    says(page, "National holidays saved.")
    _check(page, "06-hours")
    _next_step(page)
    # 5. zones: a GeoJSON of two wards, drawn on the map and listed
    assert page.locator("h1").inner_text() == "Zones"
    page.set_input_files("#geojson", files=[{"name": "wards.geojson", "mimeType": "application/geo+json",
                                             "buffer": json.dumps(WARDS).encode()}])
    page.get_by_role("button", name="Upload zones").click()
    says(page, "2 zones saved.")
    page.wait_for_selector("#zones-map path.leaflet-interactive")
    assert page.locator("#zones-map path.leaflet-interactive").count() == 2
    _check(page, "07-zones")
    _next_step(page)
    # 6 to 9: routing, staff, knowledge base, domain can wait
    for heading in ("Routing rules", "Staff", "Knowledge base", "Custom domain"):
        assert page.locator("h1").inner_text() == heading
        _next_step(page)
    # 10. preview and go live
    assert page.locator("h1").inner_text() == "Preview and go live"
    _check(page, "08-go-live")
    page.locator("#go-live").click()
    says(page, "is live since")

    with app.app_context():
        city = db.session.scalar(select(Tenant).where(Tenant.slug == "riverton"))
        assert city.live_at is not None and city.primary_color == "#0b5394" and len(city.setup_state["done"]) == 10
        city_id = city.id

    if "portal.report_category" not in app.view_functions:
        pytest.skip("the resident portal is not in this tree yet")
    page.goto(live_server.url("riverton.localhost", "/report"))
    assert page.locator("#cat-pothole").count() == 1
    page.check("#cat-pothole")
    page.locator("#category-form button[type=submit]").click()
    page.get_by_label("Smaller than a dinner plate").check()
    page.locator("form button.primary").click()
    page.locator("#address").fill("400 Main Street")
    page.locator("form button.primary").click()
    page.locator("form button.primary").click()  # no contact details: anonymous
    page.locator("#review-form button.primary").click()
    page.wait_for_selector("#tracking-number")
    _check(page, "09-first-request")
    with app.app_context(), tenant_context(city_id):
        req = db.session.scalar(select(ServiceRequest))
        assert req.service_code == "pothole" and req.address == "400 Main Street"
        assert page.locator("#tracking-number").inner_text() == req.number
