"""Settings that must take effect: going live, the portal and agent-desk switches."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.platform.intake import IntakeError, IntakeSubmission, Location, file_request
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category
from tests.conftest import host_client
from tests.settings.helpers import city, post_form, signed_up_admin

BASE = "/t/riverton/settings"


def test_a_signed_up_city_is_being_set_up_until_it_goes_live(app):
    admin = signed_up_admin(app)
    post_form(admin, f"{BASE}/branding", f"{BASE}/branding", {})  # harmless; the city exists
    resident = host_client(app, "riverton.localhost")
    page = resident.get("/")
    assert page.status_code == 503 and "is being set up" in page.get_data(as_text=True)
    assert "dana@riverton.gov" in page.get_data(as_text=True)  # the city's contact, not a form
    assert resident.get("/report").status_code == 503
    refused = resident.post("/open311/v2/requests.json", data={"service_code": "x", "lat": "39.7", "long": "-89.6"})
    assert refused.status_code == 403 and "being set up" in refused.get_data(as_text=True)
    # the admin's preview link (from the wizard's last step) opens the portal, page after page
    go_live = admin.get(f"{BASE}/go-live").get_data(as_text=True)
    link = re.search(r'href="(http://riverton\.localhost[^"]*preview=[^"]+)"', go_live).group(1)
    previewer = host_client(app, "riverton.localhost")
    first = previewer.get(link.replace("&amp;", "&").replace("http://riverton.localhost", ""), follow_redirects=True)
    assert first.status_code == 200 and "Riverton" in first.get_data(as_text=True)
    again = previewer.get("/")
    assert again.status_code == 200 and "Riverton" in again.get_data(as_text=True)
    assert previewer.get("/report").status_code == 200
    assert resident.get("/?preview=forged").status_code == 503


def test_cities_created_by_the_command_line_and_fixtures_are_live(two_tenants):
    alpha, bravo = two_tenants
    assert alpha.live_at is not None and bravo.live_at is not None


def _file(app, channel: str):
    tenant = city(app)
    with app.app_context(), tenant_context(tenant.id):
        code = db.session.scalar(select(Category.service_code))
        try:
            return file_request(IntakeSubmission(service_code=code, channel=channel, notify=False,
                                                 location=Location(lat=39.78, lng=-89.65, address="1 Main St")))
        finally:
            db.session.rollback()


@pytest.mark.parametrize("switch, channels", [("portal", ["portal"]), ("agent", ["phone", "walk_in", "email"])])
def test_channel_switched_off_refuses_filing(app, switch, channels):
    admin = signed_up_admin(app)
    post_form(admin, f"{BASE}/catalog", f"{BASE}/catalog/categories/new", {
        "name": "Pothole", "priority": "normal", "sla_value": "2", "sla_unit": "business_days", "active": "y"})
    on = {"portal": "y", "agent": "y", "api": "y"}
    on.pop(switch)
    assert post_form(admin, f"{BASE}/channels", data=on).status_code == 302
    tenant = city(app)
    with app.app_context(), tenant_context(tenant.id):
        db.session.scalar(select(Category)).channels = []  # every channel offered: only the switch decides
        db.session.commit()
    for channel in channels:
        with pytest.raises(IntakeError) as refused:
            _file(app, channel)
        assert refused.value.errors[0].code == "channel_off"
    other = "phone" if switch == "portal" else "portal"
    assert _file(app, other).request.number


def test_the_console_links_admins_to_settings(app):
    admin = signed_up_admin(app)
    page = admin.get("/t/riverton/desk/").get_data(as_text=True)
    assert 'href="/t/riverton/settings/"' in page and ">Settings<" in page
