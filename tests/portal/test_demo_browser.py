"""The issue's "done when", proven on the real demo: `civic311 demo`'s data (both cities, hundreds of
replayed real requests) served on springfield's host, where a resident on a phone-sized browser files a
request in Spanish and in English, tracks it and follows it. The typed address is one Springfield's
earlier requests used, so the review step shows it on the map: no internet, no pin needed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from civic311.db import db
from civic311.platform.models import Follower, ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from tests.browser import LiveServer, assert_accessible, says, screenshot

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"report": "Report a problem", "search": "pothole", "continue_report": "Continue with my report",
           "send": "Send report", "thanks": "Thank you, your report is in",
           "found": "(found on the city map from the address)", "find": "Find it", "status": "Received",
           "follow": "Follow", "followed": "we will e-mail {email} when this request changes"},
    "es": {"report": "Reportar un problema", "search": "bache", "continue_report": "Continuar con mi reporte",
           "send": "Enviar reporte", "thanks": "Gracias, recibimos su reporte",
           "found": "(ubicada en el mapa de la ciudad a partir de la dirección)", "find": "Buscar",
           "status": "Recibida", "follow": "Seguir",
           "followed": "le escribiremos a {email} cuando esta solicitud cambie"},
}


def _demo_app(instance):
    """An app as `civic311 demo` makes it: its own instance folder and SQLite, no Redis, no S3."""
    from civic311.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIVIC311_INSTANCE", str(instance))
        for name in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "S3_BUCKET", "SMTP_URL"):
            mp.delenv(name, raising=False)
        return create_app({"secret_key": "portal-demo-test"})


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from civic311.demo.seed import prepare_demo

    app = _demo_app(tmp_path_factory.mktemp("portal-demo"))
    prepare_demo(app)  # the whole demo, as a newcomer gets it (about 20-30 s)
    server = LiveServer(app)
    yield app, server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _springfield(app):
    return db.session.scalar(select(Tenant).where(Tenant.slug == "springfield"))


def _known_address(app) -> tuple[str, float, float]:
    """An address of one of Springfield's demo requests that has a point (the city's gazetteer)."""
    with app.app_context():
        city = _springfield(app)
        with tenant_context(city.id):
            # An address used once, so the point it must get is that request's.
            return db.session.execute(
                select(ServiceRequest.address, func.min(ServiceRequest.lat), func.min(ServiceRequest.lng))
                .where(ServiceRequest.address.is_not(None), ServiceRequest.lat.is_not(None),
                       ServiceRequest.address.regexp_match(r"^[0-9]+ [A-Za-z ]+$"))
                .group_by(ServiceRequest.address).having(func.count() == 1)
                .order_by(ServiceRequest.address).limit(1)
            ).one()


def _filed(app, number: str) -> tuple[ServiceRequest, list[str]]:
    with app.app_context():
        city = _springfield(app)
        with tenant_context(city.id):
            req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
            followers = list(db.session.scalars(select(Follower.email).where(Follower.request_id == req.id)))
            db.session.expunge(req)
            return req, followers


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_resident_files_tracks_and_follows_on_the_demo_from_a_phone(demo, phone, lang):
    app, server = demo
    words = WORDS[lang]
    address, lat, lng = _known_address(app)
    page = phone
    # The demo city's tiles come from openstreetmap.org: no internet here, and none is needed.
    page.route(re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/"), lambda route: route.abort())
    url = lambda path: server.url("springfield.localhost", path)  # noqa: E731

    page.goto(url(f"/?lang={lang}"))
    says(page, "City of Springfield")
    says(page, {"en": "Holiday trash schedule", "es": "Horario de basura en días festivos"}[lang])
    screenshot(page, f"portal-demo-{lang}-01-home")
    page.get_by_role("link", name=words["report"]).first.click()
    page.wait_for_url(re.compile(r"/report$"))
    page.fill("#q", words["search"])
    page.check("#cat-pothole")
    page.locator("#category-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/report/(details|before)$"))
    if page.url.endswith("/before"):  # the demo's knowledge base may have an answer first
        page.get_by_role("link", name=words["continue_report"]).click()
        page.wait_for_url(re.compile(r"/report/details$"))
    page.locator("input[name=q_size]").first.check()
    page.locator("#description").fill(f"Demo test ({lang}): deep hole near the crossing.")
    page.locator("form button.primary").click()
    page.wait_for_url(re.compile(r"/report/location$"))
    page.locator("#address").fill(address.upper())  # typed differently: still the same address
    page.locator("form button.primary").click()
    page.wait_for_url(re.compile(r"/report/contact$"))
    email = f"demo-{lang}@example.com"
    page.locator("#email").fill(email)
    page.locator("form button.primary").click()
    page.wait_for_url(re.compile(r"/report/review$"))
    expect(page.locator("#address-found")).to_have_text(words["found"])
    expect(page.locator("#review-map .leaflet-marker-icon")).to_be_visible()
    screenshot(page, f"portal-demo-{lang}-02-review-map")
    assert_accessible(page, f"demo review ({lang})")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_selector("#tracking-number")
    says(page, words["thanks"])
    number = page.locator("#tracking-number").inner_text().strip()
    screenshot(page, f"portal-demo-{lang}-03-done")

    page.goto(url("/"))
    page.locator("#number").fill(number)
    page.locator(".track-box button[type=submit]").click()
    page.wait_for_url(re.compile(f"/requests/{number}$"))
    says(page, words["status"])
    page.locator("#follow input[type=email]").fill(f"neighbour-{lang}@example.com")
    page.locator("#follow button[type=submit]").click()
    says(page, words["followed"].format(email=f"neighbour-{lang}@example.com"))
    screenshot(page, f"portal-demo-{lang}-04-followed")
    assert_accessible(page, f"demo request page ({lang})")

    req, followers = _filed(app, number)
    assert req.channel == "portal" and req.reporter_locale == lang and req.address == address.upper()
    # Placed where the city's own data knows the address.
    assert req.lat == pytest.approx(lat, abs=1e-4) and req.lng == pytest.approx(lng, abs=1e-4)
    assert sorted(followers) == sorted([email, f"neighbour-{lang}@example.com"])
