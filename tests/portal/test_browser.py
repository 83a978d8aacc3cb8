"""The portal in a real browser (headless Debian Chromium): the whole report flow at a phone width, in
Spanish, and with the keyboard only; track, follow, reopen and the survey; an axe-core audit of every
page and a screenshot of every step (artifacts/screenshots/portal-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from tests.browser import assert_accessible, says, screenshot

pytestmark = pytest.mark.browser


def _url(server, path="/", host="springfield.localhost") -> str:
    return server.url(host, path)


def _check(page, name: str) -> None:
    screenshot(page, f"portal-{name}")
    assert_accessible(page, name)


def _filed(city) -> ServiceRequest:
    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).order_by(ServiceRequest.requested_at.desc()))
        db.session.expunge(req)
        return req


def test_report_flow_on_a_phone(city, live_server, phone):
    page = phone
    page.goto(_url(live_server))
    _check(page, "en-01-home")
    page.get_by_role("link", name="Report a problem").first.click()
    _check(page, "en-02-category")
    page.fill("#q", "asphalt")  # instant search: only matching kinds stay visible
    expect(page.locator("#cat-pothole")).to_be_visible()
    expect(page.locator("#cat-graffiti")).to_be_hidden()
    page.check("#cat-pothole")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # nothing answered yet
    assert page.locator("#q_size-error").inner_text() == "Answer this question: How big is it?"
    _check(page, "en-03-details-error")
    page.get_by_label("Larger than a plate").check()
    page.get_by_label("About how deep, in inches?").fill("4")
    page.get_by_label("Describe the problem").fill("Deep hole in the right lane, near the school.")
    page.get_by_role("button", name="Continue").click()
    _check(page, "en-04-location")
    page.get_by_label("Address or nearest landmark").fill("1200 Oak Street")
    page.get_by_role("button", name="Continue").click()
    _check(page, "en-05-contact")
    page.get_by_label("Your name").fill("Ana Ruiz")
    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_role("button", name="Continue").click()
    _check(page, "en-06-review")
    says(page, "Larger than a plate")
    says(page, "1200 Oak Street")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_selector("#tracking-number")
    _check(page, "en-07-done")
    req = _filed(city)
    assert page.locator("#tracking-number").inner_text() == req.number
    assert req.reporter_email == "ana@example.com" and req.channel == "portal"
    page.get_by_role("link", name="See your request").click()
    _check(page, "en-08-request")
    says(page, "Received")


def test_report_flow_in_spanish(city, live_server, phone):
    page = phone
    page.goto(_url(live_server, "/?lang=es"))
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.get_by_role("link", name="Reportar un problema").first).to_be_visible()
    _check(page, "es-01-home")
    page.goto(_url(live_server, "/report"))
    _check(page, "es-02-category")
    page.fill("#q", "bache")
    page.check("#cat-pothole")
    page.locator("#category-form button[type=submit]").click()
    page.locator("form button.primary").click()
    assert page.locator("#q_size-error").inner_text() == "Responda esta pregunta: ¿Qué tamaño tiene?"
    _check(page, "es-03-details-error")
    page.get_by_label("Más pequeño que un plato").check()
    page.locator("form button.primary").click()
    page.locator("#address").fill("Calle Roble 1200")
    page.locator("form button.primary").click()
    page.locator("#email").fill("rosa@example.com")
    page.locator("form button.primary").click()
    _check(page, "es-04-review")
    page.locator("#review-form button.primary").click()
    page.wait_for_selector("#tracking-number")
    says(page, "Gracias, recibimos su reporte")
    _check(page, "es-05-done")
    req = _filed(city)
    assert req.reporter_locale == "es" and req.address == "Calle Roble 1200"
    assert page.locator("#tracking-number").inner_text() == req.number


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused, as a keyboard user would; fail if it is never reached."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement && document.activeElement.matches(sel)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector} has no visible focus"
            return
    raise AssertionError(f"{selector} cannot be reached with the keyboard")


def test_report_flow_with_the_keyboard_only(city, live_server, desktop):
    page = desktop
    page.goto(_url(live_server, "/report"))
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    _tab_to(page, "#q")
    page.keyboard.type("lamp")
    _tab_to(page, "#cat-streetlight")
    page.keyboard.press("Space")
    _tab_to(page, "#category-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/report/details$"))
    _tab_to(page, "#q_pole")
    page.keyboard.type("SL-1142")
    _tab_to(page, "form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/report/location$"))
    _tab_to(page, "#address")
    page.keyboard.type("Elm Street and 3rd Avenue")
    _tab_to(page, "form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/report/contact$"))
    _tab_to(page, "#anonymous")
    page.keyboard.press("Space")
    _tab_to(page, "form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/report/review$"))
    _check(page, "kb-review")
    _tab_to(page, "#review-form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_selector("#tracking-number")
    _check(page, "kb-done")
    req = _filed(city)
    assert req.anonymous and req.answers[0]["value"] == "SL-1142"


def test_track_follow_reopen_and_survey(city, live_server, phone):
    from civic311.platform import lifecycle
    from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request
    from civic311.portal.service import reporter_token

    with tenant_context(city.id):
        req = file_request(IntakeSubmission(service_code="streetlight", channel="portal",
                                            location=Location(address="Elm and 3rd"),
                                            contact=Contact(email="ana@example.com"))).request
        db.session.flush()
        lifecycle.set_status(req, "in_progress", message="A crew is on the way.")
        db.session.commit()
        number = req.number
    page = phone
    page.goto(_url(live_server))
    page.get_by_label("Tracking number").fill(number)
    page.get_by_role("button", name="Find it").click()
    page.wait_for_url(re.compile(f"/requests/{number}$"))
    says(page, "Being worked on")
    says(page, "A crew is on the way.")
    _check(page, "track-01-request")
    page.get_by_label("Your e-mail").fill("neighbour@example")
    page.get_by_role("button", name="Follow").click()
    expect(page.locator("#email-error")).to_be_visible()
    _check(page, "track-02-follow-error")
    page.get_by_label("Your e-mail").fill("neighbour@example.com")
    page.get_by_role("button", name="Follow").click()
    says(page, "we will e-mail neighbour@example.com")
    _check(page, "track-03-followed")

    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        lifecycle.close(req, "resolved", note="New lamp fitted.")
        db.session.commit()
        token = reporter_token(req)
    page.goto(_url(live_server, f"/requests/{number}"))
    says(page, "Fixed")
    expect(page.get_by_role("link", name="Rate the service")).to_have_count(0)  # only for the reporter
    page.goto(_url(live_server, f"/requests/{number}?t={token}"))  # the reporter's own link
    says(page, "New lamp fitted.")
    _check(page, "track-04-closed")
    page.get_by_role("link", name="Rate the service").click()
    page.wait_for_url(re.compile(r"/survey/"))
    _check(page, "track-05-survey")
    page.get_by_label("4 — Good").check()
    page.get_by_role("button", name="Send my answer").click()
    says(page, f"Your answer about report {number} helps us do better.")
    _check(page, "track-06-survey-thanks")
    page.get_by_role("link", name=f"See report {number}").click()  # back to the request page
    page.wait_for_url(re.compile(f"/requests/{number}$"))
    page.goto(_url(live_server, f"/requests/{number}?t={token}"))
    says(page, "Thank you: you rated this service 4 out of 5.")
    expect(page.get_by_role("link", name="Rate the service")).to_have_count(0)

    page.get_by_role("button", name="Reopen this request").click()
    expect(page.locator("#reason-error")).to_be_visible()
    page.get_by_label("Why is the problem not solved?").fill("The lamp went out again the next night.")
    page.get_by_role("button", name="Reopen this request").click()
    says(page, "Reopened")
    _check(page, "track-07-reopened")


def test_public_list_account_and_suspended_city(city, live_server, phone):
    page = phone
    page.goto(_url(live_server, "/requests"))
    _check(page, "list")
    page.goto(_url(live_server, "/account/sign-up"))
    _check(page, "account-sign-up")
    page.get_by_label("E-mail").fill("res@example.com")
    page.get_by_label("Password (at least 10 characters)").fill("long enough pw")
    page.get_by_role("button", name="Create account").click()
    _check(page, "account-my-requests")
    page.get_by_role("link", name="Language and notifications").click()
    _check(page, "account-settings")
    page.goto(_url(live_server, "/track"))
    _check(page, "track-page")
    with tenant_context(city.id):
        from civic311.tenants.models import Tenant

        db.session.get(Tenant, city.id).status = "suspended"
        db.session.commit()
    page.goto(_url(live_server, "/report"))
    says(page, "(217) 555-0311")
    _check(page, "suspended")


def test_map_pin_sets_the_location(city, live_server, desktop):
    from civic311.tenants.models import Tenant

    with tenant_context(city.id):
        # A local stand-in for the city's tile server (tiles 404; the map still works for pins).
        tenant = db.session.get(Tenant, city.id)
        tenant.tile_url = _url(live_server, "/tiles/{z}/{x}/{y}.png")
        tenant.tile_attribution = "<b>Springfield GIS</b> & OSM"  # shown as the city typed it
        db.session.commit()
    page = desktop
    page.goto(_url(live_server, "/report"))
    page.check("#cat-pothole")
    page.locator("#category-form button[type=submit]").click()
    page.get_by_label("Smaller than a plate").check()
    page.locator("form button.primary").click()
    page.wait_for_selector("#pick-map.leaflet-container")
    expect(page.locator("#pick-map .leaflet-control-attribution")).to_contain_text("<b>Springfield GIS</b> & OSM")
    expect(page.locator("#pick-map .leaflet-control-attribution b")).to_have_count(0)
    page.locator("#pick-map").click(position={"x": 120, "y": 100})
    assert page.locator("#lat").input_value() and page.locator("#lng").input_value()
    _check(page, "map-pin")
    page.locator("form button.primary").click()
    page.wait_for_url(re.compile(r"/report/contact$"))


def test_photos_preview_and_upload_with_progress(city, live_server, phone, tmp_path):
    from PIL import Image

    photo = tmp_path / "pothole.jpg"
    Image.new("RGB", (640, 480), (90, 90, 90)).save(photo, format="JPEG")
    page = phone
    page.goto(_url(live_server, "/report"))
    page.check("#cat-streetlight")
    page.locator("#category-form button[type=submit]").click()
    page.locator("form button.primary").click()
    page.get_by_label("Address or nearest landmark").fill("Elm and 3rd")
    page.locator("form button.primary").click()
    page.get_by_label("Report anonymously (we will not be able to contact you)").check()
    page.locator("form button.primary").click()
    page.set_input_files("#photos", [str(photo)])
    page.wait_for_selector("#photo-previews img")
    _check(page, "photos-01-preview")
    # Hold the upload in flight (as a slow phone connection would) to see the progress it shows.
    held = []
    page.route(re.compile(r"/report/review$"),
               lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page.get_by_role("button", name="Send report").click()
    progress = page.get_by_role("progressbar", name="Upload progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("aria-valuenow", re.compile(r"^\d{1,3}$"))
    expect(page.locator("#upload-status")).to_contain_text("Sending your report…")
    expect(page.get_by_role("button", name="Send report")).to_be_disabled()  # one report, not two
    screenshot(page, "portal-photos-02-uploading")
    while not held:
        page.wait_for_timeout(50)
    held[0].continue_()
    page.wait_for_selector("#tracking-number")
    _check(page, "photos-03-done")
    req = _filed(city)
    with tenant_context(city.id):
        assert len(db.session.scalar(select(ServiceRequest).where(ServiceRequest.id == req.id)).attachments) == 1
    page.goto(_url(live_server, f"/requests/{req.number}"))
    page.wait_for_selector("img[alt='Photo 1 of the problem']")
    assert page.evaluate("() => document.querySelector(\"img[alt='Photo 1 of the problem']\").naturalWidth") > 0
    _check(page, "photos-04-request")


def test_emergency_notice_deflection_and_sign_in_pages(city, live_server, phone):
    page = phone
    page.goto(_url(live_server, "/report?lang=es"))
    page.check("#cat-downed-wire")
    page.locator("#category-form button[type=submit]").click()
    says(page, "Si un cable echa chispas o hay heridos, llame al 911 ahora.")
    _check(page, "before-emergency-es")
    page.get_by_role("button", name="Ya no necesito reportar esto").click()
    _check(page, "before-solved-es")
    page.goto(_url(live_server, "/account/sign-in?lang=en"))
    page.get_by_role("button", name="Sign in").last.click()
    expect(page.locator("#email-error")).to_be_visible()
    _check(page, "sign-in-errors")


def test_report_flow_without_javascript(city, live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(_url(live_server, "/report?q=hole"))  # the search works as a plain GET form
        assert page.locator("#cat-pothole").is_visible() and page.locator("#cat-graffiti").count() == 0
        expect(page.get_by_role("button", name="Use my location")).to_be_hidden()
        page.check("#cat-pothole")
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Smaller than a plate").check()
        page.get_by_role("button", name="Continue").click()
        screenshot(page, "portal-nojs-location")  # axe needs JavaScript: audited in the other tests
        page.get_by_label("Address or nearest landmark").fill("300 Main Street")
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("E-mail").fill("nojs@example.com")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Send report").click()
        page.wait_for_selector("#tracking-number")
        screenshot(page, "portal-nojs-done")
        assert _filed(city).address == "300 Main Street"
    finally:
        context.close()


def test_use_my_location_sets_the_point(city, live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  geolocation={"latitude": 39.799, "longitude": -89.644},
                                  permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto(_url(live_server, "/report"))
        page.check("#cat-streetlight")
        page.locator("#category-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/report/details$"))
        page.locator("form button.primary").click()
        page.wait_for_url(re.compile(r"/report/location$"))
        page.get_by_role("button", name="Use my location").click()
        expect(page.locator("#location-status")).to_have_text("Your location is set. You can still type an address.")
        expect(page.locator("#lat")).to_have_value("39.799000")
        expect(page.locator("#lng")).to_have_value("-89.644000")
        _check(page, "location-set")
        page.locator("form button.primary").click()  # no address typed: the location alone is enough
        page.wait_for_url(re.compile(r"/report/contact$"))
        page.get_by_label("Report anonymously (we will not be able to contact you)").check()
        page.locator("form button.primary").click()
        says(page, "(map position set)")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_selector("#tracking-number")
        req = _filed(city)
        assert (req.lat, req.lng, req.address) == (39.799, -89.644, None)
    finally:
        context.close()


def test_portal_switched_off_shows_other_ways_in_both_languages(city, live_server, phone):
    from civic311.tenants.models import Tenant

    with tenant_context(city.id):
        tenant = db.session.get(Tenant, city.id)
        tenant.channels = {**tenant.channels, "portal": False}
        tenant.contact_email = "311@springfield.test"
        db.session.commit()
    page = phone
    page.goto(_url(live_server, "/?lang=es"))
    says(page, "Springfield no recibe reportes en este sitio web")
    page.get_by_role("link", name="Cómo reportar un problema").click()
    page.wait_for_url(re.compile(r"/report$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cómo reportar un problema a Springfield")
    expect(page.get_by_role("link", name="(217) 555-0311").first).to_be_visible()
    expect(page.locator("#reporting-closed form")).to_have_count(0)
    _check(page, "portal-off-es")
    page.goto(_url(live_server, "/report?lang=en"))
    says(page, "Springfield does not take reports on this website")
    expect(page.get_by_role("link", name="311@springfield.test")).to_be_visible()
    _check(page, "portal-off-en")


def _file_at(city, lat: float, lng: float, address: str) -> str:
    from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request

    with tenant_context(city.id):
        result = file_request(IntakeSubmission(
            service_code="streetlight", channel="portal", description="Lamp out",
            location=Location(lat=lat, lng=lng, address=address), contact=Contact(email="ana@example.com")))
        db.session.commit()
        return result.request.number


def test_recent_requests_near_me_lists_the_nearby_ones(city, live_server, browser):
    near = _file_at(city, 39.8000, -89.6440, "400 Near Street")
    far = _file_at(city, 39.9000, -89.6500, "9 Far Road")  # about 11 km away
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  geolocation={"latitude": 39.799, "longitude": -89.644},
                                  permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto(_url(live_server))
        listed = page.locator("#near-list li")
        expect(listed).to_have_count(2)  # before asking: the city's most recent requests
        page.get_by_role("button", name="Show requests near my location").click()
        expect(listed).to_have_count(1)
        expect(listed.first).to_contain_text("Streetlight out")
        expect(listed.first).to_contain_text("400 Near Street")
        expect(listed.first).to_contain_text("111 m away")
        assert far not in page.locator("#near-list").inner_html()
        _check(page, "near-me")
        listed.first.get_by_role("link").click()
        page.wait_for_url(re.compile(rf"/requests/{near}$"))
    finally:
        context.close()
