"""Each wizard step's server-side validation, through the pages a city admin uses."""

from __future__ import annotations

import io
import json
import re

from PIL import Image
from sqlalchemy import func, select

from civic311.audit import AuditEvent
from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Department, Holiday, RoutingRule, Zone
from civic311.tenants.models import Tenant
from tests.conftest import csrf_token_from
from tests.settings.helpers import city, signed_up_admin

BASE = "/t/riverton/settings"


def _token(client, path: str = "/") -> str:
    return csrf_token_from(client.get(f"{BASE}{path}").get_data(as_text=True))


def _post(client, path: str, data: dict, **kw):
    return client.post(f"{BASE}{path}", data={"csrf_token": _token(client, "/setup"), **data}, **kw)


def _in_city(app, fn):
    tenant = city(app)
    with app.app_context(), tenant_context(tenant.id):
        return fn(tenant)


def _actions(app) -> list[str]:
    return _in_city(app, lambda t: list(db.session.scalars(select(AuditEvent.action))))


def _png(size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 78, 121)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- 1. departments and categories -----------------------------------------------------------------

def test_catalog_adopt_phase_and_edit_without_rewriting_history(app):
    from civic311.platform.intake import IntakeError, IntakeSubmission, Location, category_for, file_request

    client = signed_up_admin(app)
    page = client.get(f"{BASE}/catalog").get_data(as_text=True)
    assert "Start from the starter catalog" in page and 'value="streets"' in page
    assert _post(client, "/catalog/adopt", {"group": ["streets", "trash"]}).status_code == 302
    departments = _in_city(app, lambda t: {d.name: d.id for d in db.session.scalars(select(Department))})
    categories = _in_city(app, lambda t: {c.service_code: c.id for c in db.session.scalars(select(Category))})
    assert len(categories) == 11 and departments
    # a duplicate department name is refused next to the field
    name = next(iter(departments))
    refused = _post(client, "/catalog/departments", {"dept-name": name.upper(), "dept-enabled": "y"})
    assert refused.status_code == 422 and 'id="dept-name-error"' in refused.get_data(as_text=True)
    # a request filed before the category is renamed keeps the old name
    code = next(iter(categories))

    def snapshot_name(tenant):
        category = db.session.get(Category, (tenant.id, categories[code]))
        try:
            req = file_request(IntakeSubmission(service_code=code, channel="import",
                                                location=Location(lat=39.78, lng=-89.65, address="1 Main St"),
                                                notify=False)).request
        except IntakeError:  # starter questions may be required: answer them
            answers = {q.code: (q.values[0]["key"] if q.values else "3") for q in category.questions if q.required}
            req = file_request(IntakeSubmission(service_code=code, channel="import", answers=answers,
                                                location=Location(lat=39.78, lng=-89.65, address="1 Main St"),
                                                notify=False)).request
        db.session.commit()
        return req.id, category.name, str(category.department_id)

    _request_id, old_name, dept_id = _in_city(app, snapshot_name)
    edited = _post(client, f"/catalog/categories/{categories[code]}", {
        "name": "Renamed service", "name_es": "Servicio", "department_id": dept_id, "priority": "high",
        "sla_value": "5", "sla_unit": "business_days", "active": "y"})
    assert edited.status_code == 302
    after = _in_city(app, lambda t: (db.session.get(Category, (t.id, categories[code])).name,
                                     db.session.scalar(select(ServiceRequest.service_name))))
    assert after == ("Renamed service", old_name)
    # pausing a department hides its categories from new requests at once
    dept = _in_city(app, lambda t: db.session.get(Category, (t.id, categories[code])).department_id)
    assert _post(client, f"/catalog/departments/{dept}/toggle", {}).status_code == 302

    def offered(tenant):
        try:
            category_for(code, "portal")
        except IntakeError as exc:
            return exc.not_found
        return False

    assert _in_city(app, offered) is True
    assert {"catalog.starter_adopted", "category.changed", "department.disabled"} <= set(_actions(app))


def test_a_new_category_with_a_question(app):
    client = signed_up_admin(app)
    _post(client, "/catalog/departments", {"dept-name": "Public Works", "dept-enabled": "y"})
    response = _post(client, "/catalog/categories/new", {
        "name": "Pothole", "department_id": "", "priority": "normal", "sla_value": "2", "sla_unit": "business_days",
        "active": "y"})
    assert response.status_code == 302
    category_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    refused = _post(client, f"/catalog/categories/{category_id}/questions", {
        "q-description": "How big is it?", "q-datatype": "singlevaluelist", "q-choices": "Small"})
    assert refused.status_code == 422 and "at least two choices" in refused.get_data(as_text=True)
    assert _post(client, f"/catalog/categories/{category_id}/questions", {
        "q-description": "How big is it?", "q-datatype": "singlevaluelist", "q-choices": "Small\nLarge",
        "q-required": "y"}).status_code == 302
    page = client.get(f"{BASE}/catalog/categories/{category_id}").get_data(as_text=True)
    assert "How big is it?" in page and "required" in page
    bad = _post(client, "/catalog/categories/new", {"name": "Other pothole", "service_code": "pothole",
                                                     "priority": "normal", "sla_value": "2",
                                                     "sla_unit": "business_days"})
    assert bad.status_code == 422 and 'id="service_code-error"' in bad.get_data(as_text=True)


# --- 2. branding ----------------------------------------------------------------------------------

def _branding(client, **over):
    data = {"display_name": "City of Riverton", "primary_color": "#1f4e79", "accent_color": "#8a3b00",
            "welcome_en": "Report a problem in Riverton.", "welcome_es": "Reporte un problema en Riverton.",
            "phone": "(555) 311-0000", "hours_text": "Mon–Fri 8–5"}
    data.update(over)
    return _post(client, "/branding", data, content_type="multipart/form-data")


def test_branding_refuses_a_logo_that_is_not_an_image_and_saves_nothing(app):
    client = signed_up_admin(app)
    response = _branding(client, primary_color="#0b3d2e", logo=(io.BytesIO(b"%PDF-1.4 not an image"), "logo.png"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="logo-error"' in html and "not an image" in html
    assert 'value="#0b3d2e"' in html  # what was typed is kept
    assert _in_city(app, lambda t: (t.primary_color, t.logo_key, t.phone)) == ("#1f4e79", None, None)


def test_branding_checks_the_contrast(app):
    client = signed_up_admin(app)
    response = _branding(client, primary_color="#ffdd00")
    assert response.status_code == 422
    assert 'id="primary_color-error"' in response.get_data(as_text=True) and "4.5:1" in response.get_data(as_text=True)
    assert _in_city(app, lambda t: t.primary_color) == "#1f4e79"


def test_branding_saves_a_real_logo_and_the_texts(app):
    client = signed_up_admin(app)
    response = _branding(client, logo=(io.BytesIO(_png()), "logo.png"))
    assert response.status_code == 302
    tenant = _in_city(app, lambda t: t)
    assert tenant.logo_key.endswith(".png") and tenant.phone == "(555) 311-0000"
    assert tenant.welcome("es") == "Reporte un problema en Riverton." and tenant.title == "City of Riverton"
    assert "tenant.branding_changed" in _actions(app)


# --- 3. channels ----------------------------------------------------------------------------------

def test_channels_switch_off_and_per_category_channels(app):
    client = signed_up_admin(app)
    _post(client, "/catalog/categories/new", {"name": "Pothole", "priority": "normal", "sla_value": "2",
                                              "sla_unit": "business_days", "active": "y"})
    category_id = _in_city(app, lambda t: db.session.scalar(select(Category.id)))
    assert _post(client, "/channels", {"portal": "y", "agent": "y",
                                       f"ch-{category_id}": ["portal", "phone"]}).status_code == 302
    tenant = _in_city(app, lambda t: t)
    assert tenant.channels == {"portal": True, "api": False, "agent": True}
    channels = _in_city(app, lambda t: db.session.get(Category, (t.id, category_id)).channels)
    assert channels == ["portal", "phone", "import"]
    page = client.get(f"{BASE}/channels").get_data(as_text=True)
    assert "riverton@requests.localhost" in page and "/settings/api-keys" in page
    assert "a number is assigned when SMS is enabled" in page  # the SMS number, or when it comes


# --- 4. hours, holidays, escalation ---------------------------------------------------------------

def test_working_hours_holidays_and_escalation(app):
    client = signed_up_admin(app)
    bad = _post(client, "/hours/working", {"open1": "1", "start1": "17:00", "end1": "08:00"})
    assert bad.status_code == 422 and "closing time must be after" in bad.get_data(as_text=True)
    assert _post(client, "/hours/working", {"open1": "1", "start1": "07:30", "end1": "16:30",
                                            "open3": "1", "start3": "09:00", "end3": "12:00"}).status_code == 302
    assert _in_city(app, lambda t: t.working_hours) == {"1": ["07:30", "16:30"], "3": ["09:00", "12:00"]}
    christmas = {"holiday-day": "2026-12-25", "holiday-name": "Christmas"}
    national = _post(client, "/hours/holidays", christmas)  # the national calendar (on by default) has it
    assert national.status_code == 422 and "already a national holiday (Christmas Day)" in national.get_data(
        as_text=True)
    christmas_eve = {"holiday-day": "2026-12-24", "holiday-name": "Christmas Eve"}
    assert _post(client, "/hours/holidays", christmas_eve).status_code == 302
    again = _post(client, "/hours/holidays", christmas_eve)
    assert again.status_code == 422 and "already a holiday" in again.get_data(as_text=True)
    bad_day = _post(client, "/hours/holidays", {"holiday-day": "2026-02-30", "holiday-name": "Nope"})
    assert bad_day.status_code == 422 and "not a real date" in bad_day.get_data(as_text=True)
    assert _post(client, "/hours/holidays", {"holiday-day": "2026-08-14",
                                             "holiday-name": "Founders' Day"}).status_code == 302
    assert _post(client, "/hours/escalation", {"esc-at_risk_notify_supervisor": "y"}).status_code == 302
    assert _in_city(app, lambda t: t.escalation_policy) == {"at_risk": ["notify_supervisor"], "breached": []}
    page = client.get(f"{BASE}/hours").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="esc-at_risk_notify_supervisor"', page)


def test_the_national_calendar_is_shown_and_can_be_turned_off(app):
    from datetime import date

    from civic311.platform.sla import BusinessCalendar as Calendar

    client = signed_up_admin(app)
    page = client.get(f"{BASE}/hours").get_data(as_text=True)
    national = page[page.index('id="national-holidays"'):]
    next_christmas = date(date.today().year + (date.today() > date(date.today().year, 12, 25)), 12, 25)
    assert f"{next_christmas.isoformat()} — Christmas Day" in national  # what the SLA clock skips, shown
    assert _in_city(app, lambda t: next_christmas in Calendar.for_tenant(t).holidays)
    assert _post(client, "/hours/preset", {"preset-country": "none"}).status_code == 302
    assert _in_city(app, lambda t: t.holiday_country) is None
    assert _in_city(app, lambda t: next_christmas not in Calendar.for_tenant(t).holidays)
    assert "No national calendar" in client.get(f"{BASE}/hours").get_data(as_text=True)
    # the city's own holiday counts, and removing it counts too
    assert _post(client, "/hours/holidays", {"holiday-day": next_christmas.isoformat(),
                                             "holiday-name": "Christmas"}).status_code == 302
    assert _in_city(app, lambda t: next_christmas in Calendar.for_tenant(t).holidays)
    holiday_id = _in_city(app, lambda t: db.session.scalar(select(Holiday.id)))
    assert _post(client, f"/hours/holidays/{holiday_id}/delete", {}).status_code == 302
    assert _in_city(app, lambda t: next_christmas not in Calendar.for_tenant(t).holidays)
    assert "tenant.holiday_calendar_changed" in _actions(app)


def test_raise_priority_ticked_raises_an_overdue_requests_priority(app):
    """The policy the page saves is the one `civic311.platform.escalation` reads."""
    from datetime import timedelta

    from civic311.db import utcnow
    from civic311.platform.escalation import escalate_city
    from civic311.platform.intake import IntakeSubmission, Location, file_request

    client = signed_up_admin(app)
    assert _post(client, "/catalog/adopt", {"group": ["streets"]}).status_code == 302
    assert _post(client, "/hours/escalation", {"esc-breached_raise_priority": "y"}).status_code == 302

    def overdue_request(tenant):
        code = db.session.scalars(select(Category.service_code).order_by(Category.service_code)).first()
        req = file_request(IntakeSubmission(service_code=code, channel="import", notify=False,
                                            location=Location(lat=39.78, lng=-89.65, address="1 Main St"))).request
        req.priority = "normal"
        req.due_at = utcnow() - timedelta(days=2)
        req.at_risk_at = utcnow() - timedelta(days=3)
        db.session.commit()
        return req.id

    request_id = _in_city(app, overdue_request)

    def escalate(tenant):
        escalated = escalate_city(tenant.id)
        db.session.commit()
        return escalated, db.session.get(ServiceRequest, (tenant.id, request_id)).priority

    assert _in_city(app, escalate) == (1, "high")


# --- 5. zones and 6. routing ----------------------------------------------------------------------

WARDS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Ward 1"},
     "geometry": {"type": "Polygon", "coordinates": [[[-89.70, 39.75], [-89.65, 39.75], [-89.65, 39.80],
                                                      [-89.70, 39.80], [-89.70, 39.75]]]}},
    {"type": "Feature", "properties": {"name": "Ward 2"},
     "geometry": {"type": "Polygon", "coordinates": [[[-89.65, 39.75], [-89.60, 39.75], [-89.60, 39.80],
                                                      [-89.65, 39.80], [-89.65, 39.75]]]}},
]}


def _upload_zones(client, data: bytes):
    return _post(client, "/zones", {"kind": "ward", "replace": "y", "geojson": (io.BytesIO(data), "wards.geojson")},
                 content_type="multipart/form-data")


def test_zones_refuse_anything_but_polygons_and_save_nothing(app):
    client = signed_up_admin(app)
    points = {"type": "FeatureCollection", "features": [
        WARDS["features"][0], {"type": "Feature", "properties": {"name": "City Hall"},
                               "geometry": {"type": "Point", "coordinates": [-89.65, 39.78]}}]}
    response = _upload_zones(client, json.dumps(points).encode())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="geojson-error"' in html and "feature 2 is a Point, not a polygon" in html
    not_json = _upload_zones(client, b"\x89PNG not json")
    assert not_json.status_code == 422 and "not GeoJSON" in not_json.get_data(as_text=True)
    assert _in_city(app, lambda t: db.session.scalar(select(func.count(Zone.id)))) == 0


def test_malformed_geojson_and_projected_coordinates_get_clear_errors(app):
    client = signed_up_admin(app)
    projected = {"type": "Polygon", "coordinates": [[[330000, 4400000], [331000, 4400000], [331000, 4401000],
                                                     [330000, 4400000]]]}
    for body, why in [({"type": "FeatureCollection", "features": 5}, "features are not a list"),
                      ({"type": "FeatureCollection", "features": ["x"]}, "feature 1 is not a GeoJSON feature"),
                      ({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": 7}]},
                       "feature 1 is not a GeoJSON feature"),
                      (projected, "outside longitude/latitude degrees")]:
        response = _upload_zones(client, json.dumps(body).encode())
        assert response.status_code == 422, body
        assert 'id="geojson-error"' in response.get_data(as_text=True)
        assert why in response.get_data(as_text=True)
    assert _in_city(app, lambda t: db.session.scalar(select(func.count(Zone.id)))) == 0


def test_adopting_an_unknown_starter_group_is_refused_not_a_500(app):
    client = signed_up_admin(app)
    response = _post(client, "/catalog/adopt", {"group": ["no-such-group"]})
    assert response.status_code == 422
    assert _in_city(app, lambda t: db.session.scalar(select(func.count(Category.id)))) == 0


def test_zone_names_reach_the_map_as_text_not_html():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "civic311/static/settings/zones-map.js").read_text()
    assert "bindTooltip(label)" in script and "label.textContent = names[i]" in script


def test_zones_then_a_rule_that_uses_them_and_the_test_box(app):
    client = signed_up_admin(app)
    assert _upload_zones(client, json.dumps(WARDS).encode()).status_code == 302
    page = client.get(f"{BASE}/zones").get_data(as_text=True)
    assert "Ward 1" in page and "Ward 2" in page and 'id="zones-map"' in page
    _post(client, "/catalog/departments", {"dept-name": "Public Works", "dept-enabled": "y"})
    _post(client, "/catalog/departments", {"dept-name": "Ward 2 Crew", "dept-enabled": "y"})
    ids = _in_city(app, lambda t: ({d.name: str(d.id) for d in db.session.scalars(select(Department))},
                                   {z.name: str(z.id) for z in db.session.scalars(select(Zone))}))
    departments, zones = ids
    _post(client, "/catalog/categories/new", {"name": "Pothole", "department_id": departments["Public Works"],
                                              "priority": "normal", "sla_value": "2", "sla_unit": "business_days",
                                              "active": "y"})
    category_id = _in_city(app, lambda t: str(db.session.scalar(select(Category.id))))
    nothing = _post(client, "/routing/rules", {"rule-name": "Does nothing", "rule-zone_ids": zones["Ward 2"],
                                               "rule-sla_unit": "business_days"})
    assert nothing.status_code == 422 and "Say what the rule does" in nothing.get_data(as_text=True)
    assert _post(client, "/routing/rules", {
        "rule-name": "Ward 2 goes to its crew", "rule-zone_ids": zones["Ward 2"],
        "rule-department_id": departments["Ward 2 Crew"], "rule-priority": "high",
        "rule-sla_unit": "business_days"}).status_code == 302
    assert _post(client, "/routing/rules", {
        "rule-name": "Sinkholes are urgent", "rule-keywords": "sinkhole, collapse", "rule-priority": "urgent",
        "rule-sla_unit": "business_days"}).status_code == 302
    result = _post(client, "/routing/test", {"test-category_id": category_id, "test-lat": "39.77",
                                             "test-lng": "-89.62", "test-text": "a deep hole"})
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and 'id="test-result"' in html
    assert "It would go to Ward 2 Crew, priority high" in html and "Location is in zone Ward 2." in html
    in_ward_1 = _post(client, "/routing/test", {"test-category_id": category_id, "test-lat": "39.77",
                                                "test-lng": "-89.68", "test-text": "a sinkhole opened"})
    assert "It would go to Public Works, priority urgent" in in_ward_1.get_data(as_text=True)
    # the order decides: move the keyword rule first and a sinkhole in ward 2 becomes urgent too
    rule_id = _in_city(app, lambda t: str(db.session.scalar(select(RoutingRule.id).where(
        RoutingRule.name == "Sinkholes are urgent"))))
    assert _post(client, f"/routing/rules/{rule_id}/up", {}).status_code == 302
    moved = _post(client, "/routing/test", {"test-category_id": category_id, "test-lat": "39.77",
                                            "test-lng": "-89.62", "test-text": "sinkhole"})
    assert "priority urgent" in moved.get_data(as_text=True)
    assert {"zones.imported", "routing_rule.created", "routing_rule.moved"} <= set(_actions(app))


# --- 7. staff -------------------------------------------------------------------------------------

def test_invite_staff_who_accept_by_choosing_a_password(app):


    from civic311.platform.notifications.mail import LOG_OUTBOX
    from tests.conftest import host_client

    client = signed_up_admin(app)
    _post(client, "/catalog/departments", {"dept-name": "Public Works", "dept-enabled": "y"})
    dept_id = _in_city(app, lambda t: str(db.session.scalar(select(Department.id))))
    LOG_OUTBOX.clear()
    response = _post(client, "/staff/invite", {"invite-email": "sam@riverton.gov", "invite-name": "Sam Street",
                                               "invite-role": "staff", "invite-department_ids": dept_id})
    assert response.status_code == 302
    again = _post(client, "/staff/invite", {"invite-email": "SAM@riverton.gov", "invite-name": "Sam",
                                            "invite-role": "agent"})
    assert again.status_code == 422 and "already works in this city" in again.get_data(as_text=True)
    bad = _post(client, "/staff/invite", {"invite-email": "not-an-address", "invite-name": "X", "invite-role": "staff"})
    assert bad.status_code == 422 and 'id="invite-email-error"' in bad.get_data(as_text=True)
    message = LOG_OUTBOX[-1]
    assert message["To"] == "sam@riverton.gov" and "Riverton" in message["Subject"]
    link = re.search(r"http://localhost(/signup/invitation/\S+)", message.get_content()).group(1)
    sam = host_client(app, "localhost")
    page = sam.get(link).get_data(as_text=True)
    assert "sam@riverton.gov" in page
    accepted = sam.post(link, data={"csrf_token": csrf_token_from(page), "name": "Sam Street",
                                    "password": "sams own password", "confirm": "sams own password"})
    assert accepted.status_code == 302
    assert sam.get(link).status_code == 404  # the link works once
    assert sam.get(f"{BASE}/").status_code == 403  # staff, not admin
    staff_page = client.get(f"{BASE}/staff").get_data(as_text=True)
    assert "Sam Street" in staff_page and "Public Works" in staff_page


def test_grant_and_revoke_an_operator_organization(app):
    from civic311.accounts.models import OperatorContract
    from civic311.accounts.service import create_operator_org

    with app.app_context():
        org = create_operator_org("Prairie Contact Center", "prairie")
        db.session.commit()
        org_id = str(org.id)
    client = signed_up_admin(app)
    assert _post(client, "/staff/operators", {"op-operator_org_id": org_id,
                                              "op-phone_line": "(555) 311-0001"}).status_code == 302
    contract_id = _in_city(app, lambda t: str(db.session.scalar(select(OperatorContract.id).where(
        OperatorContract.revoked_at.is_(None)))))
    assert "Prairie Contact Center" in client.get(f"{BASE}/staff").get_data(as_text=True)
    assert _post(client, f"/staff/operators/{contract_id}/revoke", {}).status_code == 302
    assert _in_city(app, lambda t: db.session.scalar(select(func.count(OperatorContract.id)).where(
        OperatorContract.revoked_at.is_(None)))) == 0
    assert {"operator_contract.granted", "operator_contract.revoked"} <= set(_actions(app))


# --- 10. going live ------------------------------------------------------------------------------

def test_going_live_needs_a_confirmed_address_and_something_to_offer(app):
    from civic311.platform.notifications.mail import LOG_OUTBOX

    LOG_OUTBOX.clear()
    client = signed_up_admin(app)
    unconfirmed = _post(client, "/go-live", {})
    assert unconfirmed.status_code == 422 and "Confirm your e-mail address first" in unconfirmed.get_data(as_text=True)
    link = re.search(r"http://localhost(/signup/verify/\S+)", LOG_OUTBOX[-1].get_content()).group(1)
    client.get(link)
    refused = _post(client, "/go-live", {})
    assert refused.status_code == 422 and "at least one category" in refused.get_data(as_text=True)
    _post(client, "/catalog/categories/new", {"name": "Pothole", "priority": "normal", "sla_value": "2",
                                              "sla_unit": "business_days", "active": "y"})
    assert _post(client, "/go-live", {}).status_code == 302
    tenant = _in_city(app, lambda t: t)
    assert tenant.live_at is not None and "golive" in tenant.setup_state["done"]
    assert "is live since" in client.get(f"{BASE}/go-live").get_data(as_text=True)


def test_another_citys_rows_answer_404(app):
    client = signed_up_admin(app)
    other = signed_up_admin(app, slug="lakeside", name="Lakeside", email="lee@lakeside.gov")
    assert other.get("/t/lakeside/settings/").status_code == 200
    lakeside = city(app, "lakeside")
    with app.app_context(), tenant_context(lakeside.id):
        dept = Department(name="Parks")
        db.session.add(dept)
        db.session.commit()
        dept_id = dept.id
    response = _post(client, f"/catalog/departments/{dept_id}/toggle", {})
    assert response.status_code == 404
    assert client.get(f"{BASE}/catalog/categories/{dept_id}").status_code == 404
    with app.app_context():
        assert db.session.get(Tenant, lakeside.id) is not None


# --- 8. knowledge base ----------------------------------------------------------------------------

def test_knowledge_base_starts_from_suggested_answers_for_the_offered_categories(app):
    from civic311.kb.models import KbArticle

    client = signed_up_admin(app)
    _post(client, "/catalog/adopt", {"group": ["trash"]})
    page = client.get(f"{BASE}/kb").get_data(as_text=True)
    keys = re.findall(r'name="suggestion" value="([^"]+)"', page)
    assert keys
    from civic311.kb.starter import STARTER_ANSWERS

    offered = _in_city(app, lambda t: set(db.session.scalars(select(Category.service_code))))
    for answer in STARTER_ANSWERS:  # only answers for categories the city took (or for any city)
        fits = not answer["codes"] or bool(offered & set(answer["codes"]))
        assert (answer["key"] in keys) == fits, answer["key"]
    assert any(answer["codes"] and answer["key"] not in keys for answer in STARTER_ANSWERS)
    assert _post(client, "/kb/adopt", {"suggestion": keys}).status_code == 302
    articles = _in_city(app, lambda t: db.session.scalars(select(KbArticle)).all())
    assert len(articles) == 2 * len(keys)  # English and Spanish
    assert "Riverton" in " ".join(a.body for a in articles)
    after = client.get(f"{BASE}/kb").get_data(as_text=True)
    assert not any(f'value="{key}"' in after for key in keys)  # adopted answers are no longer suggested


def test_adopting_no_suggested_answer_is_refused_with_a_message(app):
    from civic311.kb.models import KbArticle

    client = signed_up_admin(app)
    _post(client, "/catalog/adopt", {"group": ["trash"]})
    response = _post(client, "/kb/adopt", {})
    assert response.status_code == 422
    assert "Choose at least one suggested answer" in response.get_data(as_text=True)
    assert _in_city(app, lambda t: db.session.scalar(select(func.count(KbArticle.id)))) == 0


def test_the_rule_test_box_refuses_a_point_off_the_globe_and_saves_nothing(app):
    client = signed_up_admin(app)
    _post(client, "/catalog/categories/new", {"name": "Pothole", "priority": "normal", "sla_value": "2",
                                              "sla_unit": "business_days", "active": "y"})
    category_id = _in_city(app, lambda t: str(db.session.scalar(select(Category.id))))
    response = _post(client, "/routing/test", {"test-category_id": category_id, "test-lat": "123",
                                               "test-lng": "-89.6", "test-text": "a hole"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="test-lat-error"' in html and 'id="test-result"' not in html
    assert _in_city(app, lambda t: db.session.scalar(select(func.count(RoutingRule.id)))) == 0
    assert not {"routing_rule.created", "routing_rule.changed"} & set(_actions(app))


def test_an_own_holiday_that_repeats_the_national_calendar_is_pointed_out(app):
    """Rows made before the national calendar applied (an older demo copied it) are flagged for removal."""
    client = signed_up_admin(app)

    def old_rows(tenant):
        db.session.add_all([Holiday(day="2026-12-25", name="Christmas"), Holiday(day="2026-08-14", name="Founders")])
        db.session.commit()

    _in_city(app, old_rows)
    page = client.get(f"{BASE}/hours").get_data(as_text=True)
    own = page[page.index("The city’s own holidays"):]
    christmas = own[own.index("2026-12-25"):own.index("</li>", own.index("2026-12-25"))]
    founders = own[own.index("2026-08-14"):own.index("</li>", own.index("2026-08-14"))]
    assert "the national calendar counts this day already" in christmas
    assert "national calendar" not in founders


def test_operators_and_an_own_domain_follow_the_citys_plan(app):
    """A city on the Town plan cannot grant an operator organization access nor claim a domain; the
    form says why and nothing is saved. A platform admin's switch for that city lifts it."""
    from civic311.accounts.models import OperatorContract
    from civic311.accounts.service import create_operator_org
    from civic311.tenants.models import Tenant, TenantDomain

    with app.app_context():
        org = create_operator_org("Prairie Contact Center", "prairie")
        db.session.commit()
        org_id = str(org.id)
    client = signed_up_admin(app)

    def set_city(**values):
        with app.app_context():
            tenant = db.session.get(Tenant, city(app).id)
            for key, value in values.items():
                setattr(tenant, key, value)
            db.session.commit()

    set_city(plan_code="town", status="active")
    refused = _post(client, "/staff/operators", {"op-operator_org_id": org_id, "op-phone_line": ""})
    assert refused.status_code == 422
    assert "Your plan does not include contact-center operators" in refused.get_data(as_text=True)
    domain = _post(client, "/domain", {"hostname": "311.riverton.gov"})
    assert domain.status_code == 422 and "Your plan does not include your own domain" in domain.get_data(as_text=True)
    assert _in_city(app, lambda t: (db.session.scalar(select(func.count(OperatorContract.id))),
                                    db.session.scalar(select(func.count(TenantDomain.id))))) == (0, 0)
    set_city(feature_flags={"operators": True, "custom_domain": True})
    assert _post(client, "/staff/operators", {"op-operator_org_id": org_id, "op-phone_line": ""}).status_code == 302
    assert _post(client, "/domain", {"hostname": "311.riverton.gov"}).status_code == 302
