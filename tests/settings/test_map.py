"""The city's own map tile server (issue #5: "set per city"), on the branding step: validated, audited,
escaped, and used by the portal's next page without a restart."""

from __future__ import annotations

import html as html_lib

import pytest
from sqlalchemy import select

from civic311.audit import AuditEvent
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from tests.conftest import csrf_token_from, host_client
from tests.settings.helpers import city, post_form, signed_up_admin

BASE = "/t/riverton/settings"
TILES = "https://{s}.tiles.riverton.example/{z}/{x}/{y}.png"


def _branding(client, **over):
    data = {"display_name": "City of Riverton", "primary_color": "#1f4e79", "accent_color": "#8a3b00",
            "tile_url": TILES, "tile_attribution": "Riverton GIS", "map_lat": "40.05", "map_lng": "-105.05"}
    data.update(over)
    return post_form(client, f"{BASE}/branding", data=data)


def _map(app):
    tenant = city(app)
    return tenant.tile_url, tenant.tile_attribution, list(tenant.map_center)


@pytest.mark.parametrize("over, field, words", [
    ({"tile_url": "http://tiles.riverton.example/{z}/{x}/{y}.png"}, "tile_url", "Use an https:// address"),
    ({"tile_url": "https://tiles.riverton.example/{z}/{x}.png"}, "tile_url", "needs {z}, {x} and {y}"),
    ({"tile_url": "https://tiles.riverton.example/{z}/{x}/{y}/{x}.png"}, "tile_url", "once each"),
    ({"tile_url": "https://tiles.riverton.example/{z}/{x}/{y}.png?key={apikey}"}, "tile_url", "{apikey}"),
    ({"tile_url": 'https://tiles.riverton.example/{z}/{x}/{y}.png" onerror="x'}, "tile_url", "without spaces"),
    ({"tile_url": "javascript:alert(1)//{z}/{x}/{y}"}, "tile_url", "Use an https:// address"),
    ({"tile_url": "https://user:pw@tiles.riverton.example/{z}/{x}/{y}.png"}, "tile_url", "Use an https://"),
    ({"tile_attribution": "   "}, "tile_attribution", "Say whose map this is"),
    ({"map_lng": ""}, "map_lng", "both the latitude and the longitude"),
    ({"map_lat": "123"}, "map_lat", "between -90 and 90"),
])
def test_a_bad_tile_server_is_refused_next_to_its_field_and_nothing_is_saved(app, over, field, words):
    client = signed_up_admin(app)
    before = _map(app)
    response = _branding(client, primary_color="#0b3d2e", **over)
    assert response.status_code == 422
    page = html_lib.unescape(response.get_data(as_text=True))
    assert f'id="{field}-error"' in page and words in page
    assert _map(app) == before and city(app).primary_color == "#1f4e79"  # the colour in the same form too


def test_a_tile_server_is_saved_audited_and_the_portal_uses_it_at_once(app):
    client = signed_up_admin(app)
    with app.app_context():  # a live city with something to report, as after the wizard
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "riverton"))
        tenant.live_at = utcnow()
        db.session.commit()
    post_form(client, f"{BASE}/catalog", f"{BASE}/catalog/categories/new", {
        "name": "Pothole", "priority": "normal", "sla_value": "2", "sla_unit": "business_days", "active": "y"})
    resident = host_client(app, "riverton.localhost")
    assert "pick-map" not in _location_page(resident)  # no tile server yet: the address field only

    attribution = '<img src=x onerror="alert(1)"> Riverton GIS & © OpenStreetMap contributors'
    assert _branding(client, tile_attribution=f"  {attribution}\n").status_code == 302
    assert _map(app) == (TILES, attribution, [40.05, -105.05])
    settings_page = client.get(f"{BASE}/branding").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in settings_page  # shown back escaped
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; Riverton GIS" in settings_page
    assert 'value="40.05"' in settings_page and 'value="-105.05"' in settings_page

    # the next resident page uses it: no restart, no cache to clear
    page = _location_page(resident)
    assert f'data-tiles="{TILES}"' in page and "[40.05, -105.05]" in html_lib.unescape(page)

    with app.app_context(), tenant_context(city(app).id):
        changes = [e.details for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "tenant.map_changed"))]
    assert len(changes) == 1 and changes[0]["tile_url"] == TILES and changes[0]["attribution"] == attribution
    assert changes[0]["previous"]["tile_url"] is None

    # emptying the address turns the map off (and forgets the attribution with it)
    assert _branding(client, tile_url="", tile_attribution="Riverton GIS").status_code == 302
    assert _map(app)[:2] == (None, None)
    assert "pick-map" not in _location_page(resident)


def test_saving_branding_without_the_map_fields_leaves_the_map_alone(app):
    client = signed_up_admin(app)
    assert _branding(client).status_code == 302
    response = post_form(client, f"{BASE}/branding", data={"primary_color": "#1f4e79", "accent_color": "#8a3b00",
                                                           "phone": "(555) 311-0000"})
    assert response.status_code == 302
    assert _map(app) == (TILES, "Riverton GIS", [40.05, -105.05]) and city(app).phone == "(555) 311-0000"


def _location_page(resident) -> str:
    """Pick the first category on the resident portal and open the "where" step."""
    start = resident.get("/report")
    assert start.status_code == 200, start.status_code
    chosen = resident.post("/report", data={"csrf_token": csrf_token_from(start.get_data(as_text=True)),
                                            "category": "pothole"})
    assert chosen.status_code == 302, chosen.get_data(as_text=True)[:500]
    response = resident.get("/report/location")
    assert response.status_code == 200
    return response.get_data(as_text=True)
