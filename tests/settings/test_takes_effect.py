"""Issue #7: "every configuration change is audited and takes effect for new requests without a restart;
changing a category never rewrites history of existing requests".

One app, one running process: an admin changes a setting through its page, the very next request filed
uses it, the request filed before keeps what it was filed with, and the audit trail names who changed
what. One test per kind of setting: a category's target time, a routing rule, the working hours.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from civic311.accounts.models import User
from civic311.audit import AuditEvent
from civic311.db import db, utcnow
from civic311.platform.intake import IntakeSubmission, Location, file_request
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Department, RoutingRule
from tests.settings.helpers import city, post_form, signed_up_admin

BASE = "/t/riverton/settings"


def _in_city(app, fn):
    tenant = city(app)
    with app.app_context(), tenant_context(tenant.id):
        return fn(tenant)


def _set_up(app, **category):
    """A signed-up admin, two departments and a Pothole category with a required one-choice question."""
    client = signed_up_admin(app)
    for name in ("Public Works", "Streets Crew"):
        post_form(client, f"{BASE}/catalog", f"{BASE}/catalog/departments", {"dept-name": name,
                                                                              "dept-enabled": "y"})
    departments = _in_city(app, lambda t: {d.name: str(d.id) for d in db.session.scalars(select(Department))})
    fields = {"name": "Pothole", "department_id": departments["Public Works"], "priority": "normal",
              "sla_value": "2", "sla_unit": "business_days", "active": "y", **category}
    created = post_form(client, f"{BASE}/catalog", f"{BASE}/catalog/categories/new", fields)
    category_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[1].split("?")[0]
    assert post_form(client, f"{BASE}/catalog/categories/{category_id}", f"{BASE}/catalog/categories/{category_id}"
                     "/questions", {"q-description": "How big is it?", "q-datatype": "singlevaluelist",
                                    "q-choices": "Small\nLarge", "q-required": "y"}).status_code == 302
    return client, departments, category_id, fields


def _file(app, description: str = "A hole in the road") -> dict:
    def file(tenant):
        req = file_request(IntakeSubmission(
            service_code="pothole", channel="portal", description=description, answers={"how_big_is_it": "large"},
            location=Location(lat=40.0, lng=-105.0, address="1 Main St"), notify=False)).request
        db.session.commit()
        return req.id

    return _snapshot(app, _in_city(app, file))


def _snapshot(app, request_id) -> dict:
    def read(tenant):
        req = db.session.get(ServiceRequest, (tenant.id, request_id))
        return {"id": req.id, "service_name": req.service_name, "department_id": str(req.department_id),
                "priority": req.priority, "requested_at": req.requested_at, "due_at": req.due_at,
                "answers": req.answers, "routing_rule_id": req.routing_rule_id}

    return _in_city(app, read)


def _audit(app, action: str) -> list[AuditEvent]:
    def read(tenant):
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        for row in rows:
            db.session.expunge(row)
        return rows

    return _in_city(app, read)


def _admin_id(app):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == "dana@riverton.gov"))


def test_a_category_change_applies_to_the_next_request_and_rewrites_no_history(app):
    client, departments, category_id, fields = _set_up(app)
    before = _file(app)
    assert before["service_name"] == "Pothole" and before["department_id"] == departments["Public Works"]

    page = f"{BASE}/catalog/categories/{category_id}"
    changed = post_form(client, page, data={**fields, "name": "Pavement hole", "sla_value": "10", "sla_unit": "days",
                                            "priority": "high", "department_id": departments["Streets Crew"]})
    assert changed.status_code == 302
    question_id = _in_city(app, lambda t: str(db.session.get(Category, (t.id, uuid_of(category_id)))
                                              .questions[0].id))
    assert post_form(client, page, f"{BASE}/catalog/questions/{question_id}/delete").status_code == 302

    after = _file(app)
    assert after["service_name"] == "Pavement hole" and after["priority"] == "high"
    assert after["department_id"] == departments["Streets Crew"]
    assert after["due_at"] - after["requested_at"] == timedelta(days=10)  # the new target, at once
    assert after["answers"] == []  # the question is gone for new requests

    # the request filed before keeps everything it was filed with
    assert _snapshot(app, before["id"]) == before
    assert before["answers"][0]["question"] == "How big is it?" and before["answers"][0]["label"] == "Large"

    audit = _audit(app, "category.changed")
    assert len(audit) == 1 and audit[0].actor_user_id == _admin_id(app)
    assert audit[0].details["changes"]["sla_value"] == ["2", "10"]
    assert audit[0].details["changes"]["name"] == ["Pothole", "Pavement hole"]
    assert _audit(app, "question.deleted")


def uuid_of(raw: str):
    import uuid

    return uuid.UUID(raw)


def test_a_new_routing_rule_routes_the_next_request(app):
    client, departments, category_id, _ = _set_up(app)
    before = _file(app, "A sinkhole opened on Main Street")
    assert before["department_id"] == departments["Public Works"] and before["routing_rule_id"] is None

    created = post_form(client, f"{BASE}/routing", f"{BASE}/routing/rules", {
        "rule-name": "Sinkholes to the streets crew", "rule-category_ids": category_id, "rule-keywords": "sinkhole",
        "rule-department_id": departments["Streets Crew"], "rule-priority": "urgent",
        "rule-sla_unit": "business_days"})
    assert created.status_code == 302
    rule_id = _in_city(app, lambda t: db.session.scalar(select(RoutingRule.id)))

    after = _file(app, "Another SINKHOLE, by the school")
    assert after["department_id"] == departments["Streets Crew"] and after["priority"] == "urgent"
    assert after["routing_rule_id"] == rule_id
    plain = _file(app, "A small crack")  # the rule's keyword is not there: the category's default applies
    assert plain["department_id"] == departments["Public Works"] and plain["routing_rule_id"] is None
    assert _snapshot(app, before["id"]) == before  # routed before the rule existed: not moved

    audit = _audit(app, "routing_rule.created")
    assert len(audit) == 1 and audit[0].actor_user_id == _admin_id(app)
    assert audit[0].details["actions"]["department_id"] == departments["Streets Crew"]


    # Deleting a rule that routed requests keeps it, switched off: they still name it; new ones pass it by.
    deleted = post_form(client, f"{BASE}/routing", f"{BASE}/routing/rules/{rule_id}/delete", {})
    assert deleted.status_code == 302
    assert "routed requests that still name it" in client.get(f"{BASE}/routing").get_data(as_text=True)
    active = select(RoutingRule.active).where(RoutingRule.id == rule_id)
    assert _in_city(app, lambda t: db.session.scalar(active)) is False
    assert _snapshot(app, after["id"]) == after
    assert _file(app, "Yet another sinkhole")["routing_rule_id"] is None
    assert post_form(client, f"{BASE}/routing", f"{BASE}/routing/rules/{rule_id}/on", {}).status_code == 302
    assert _file(app, "A fourth sinkhole")["routing_rule_id"] == rule_id
    assert [e.action for e in _audit(app, "routing_rule.switched_off")] == ["routing_rule.switched_off"]


def test_a_rule_that_routed_nothing_is_deleted(app):
    client, departments, category_id, _ = _set_up(app)
    post_form(client, f"{BASE}/routing", f"{BASE}/routing/rules", {
        "rule-name": "Never used", "rule-category_ids": category_id, "rule-keywords": "unicorn",
        "rule-department_id": departments["Streets Crew"], "rule-sla_unit": "business_days"})
    rule_id = _in_city(app, lambda t: db.session.scalar(select(RoutingRule.id)))
    assert post_form(client, f"{BASE}/routing", f"{BASE}/routing/rules/{rule_id}/delete", {}).status_code == 302
    assert _in_city(app, lambda t: db.session.scalars(select(RoutingRule)).all()) == []


def test_new_working_hours_set_the_next_requests_target_time(app):
    client, _, _, _ = _set_up(app, sla_value="3", sla_unit="business_hours")
    assert post_form(client, f"{BASE}/hours", f"{BASE}/hours/preset", {"preset-country": "none"}).status_code == 302

    # open one hour a week, three days from now: 3 business hours take about three weeks
    weekday = str(((utcnow().astimezone(ZoneInfo("America/Chicago")).isoweekday() + 2) % 7) + 1)
    assert post_form(client, f"{BASE}/hours", f"{BASE}/hours/working", {
        f"open{weekday}": "1", f"start{weekday}": "10:00", f"end{weekday}": "11:00"}).status_code == 302
    narrow = _file(app)
    assert narrow["due_at"] - narrow["requested_at"] > timedelta(days=14)

    # open around the clock: the next request is due three hours (and at most a minute) later
    every_day = {}
    for day in "1234567":
        every_day.update({f"open{day}": "1", f"start{day}": "00:00", f"end{day}": "23:59"})
    assert post_form(client, f"{BASE}/hours", f"{BASE}/hours/working", every_day).status_code == 302
    wide = _file(app)
    assert timedelta(hours=3) <= wide["due_at"] - wide["requested_at"] <= timedelta(hours=3, minutes=1)
    assert _snapshot(app, narrow["id"]) == narrow  # its target time stays what it was promised

    audit = _audit(app, "tenant.working_hours_changed")
    assert len(audit) == 2 and {a.actor_user_id for a in audit} == {_admin_id(app)}
    assert audit[-1].details["working_hours"]["7"] == ["00:00", "23:59"] or \
        audit[0].details["working_hours"]["7"] == ["00:00", "23:59"]
    assert _audit(app, "tenant.holiday_calendar_changed")


def test_every_settings_change_a_city_admin_can_make_is_audited_under_their_name(app):
    """A sweep: every POST route of the settings pages (found in the URL map, so a new one cannot slip
    past) is called once with a valid change, and each leaves at least one audit row naming the admin."""
    import io
    import json
    import re

    from civic311.accounts.models import Membership
    from civic311.accounts.service import create_operator_org
    from civic311.platform.notifications.mail import LOG_OUTBOX
    from civic311.tenants.catalog import Holiday, Question, Zone
    from civic311.tenants.domains import domains_of_current_city
    from civic311.tenants.imports import ImportJob
    from tests.conftest import csrf_token_from
    from tests.settings.test_imports import BOSTON
    from tests.settings.test_steps import WARDS

    read_only = {"/t/<slug>/settings/routing/test"}  # answers where a request would go; saves nothing
    every = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("settings.") and "POST" in r.methods}
    with app.app_context():
        org_id = str(create_operator_org("Prairie Contact Center", "prairie").id)
        db.session.commit()
    LOG_OUTBOX.clear()
    client = signed_up_admin(app)
    client.get(re.search(r"http://localhost(/signup/verify/\S+)", LOG_OUTBOX[-1].get_content()).group(1))
    admin_id = _admin_id(app)
    adapter = app.url_map.bind("localhost")
    covered: set[str] = set()

    def count(tenant):
        return len(db.session.scalars(select(AuditEvent.id)).all())

    def change(path: str, data: dict | None = None, **kw) -> None:
        url = f"{BASE}{path}"
        token = csrf_token_from(client.get(f"{BASE}/setup").get_data(as_text=True))
        before = _in_city(app, count)
        response = client.post(url, data={"csrf_token": token, **(data or {})}, **kw)
        assert response.status_code == 302, (path, response.status_code, response.get_data(as_text=True)[:800])
        rows = _in_city(app, lambda t: db.session.scalars(select(AuditEvent).order_by(
            AuditEvent.created_at)).all()[before:])
        assert rows, f"{path} changed something and left no audit row"
        assert {r.actor_user_id for r in rows} == {admin_id}, path
        covered.add(adapter.match(url.split("?")[0], method="POST", return_rule=True)[0].rule)

    def one(model, *where):
        return _in_city(app, lambda t: str(db.session.scalar(select(model.id).where(*where))))

    change("/setup/catalog/done")
    change("/catalog/departments", {"dept-name": "Public Works", "dept-enabled": "y"})
    change(f"/catalog/departments/{one(Department)}/toggle")
    change("/catalog/adopt", {"group": ["streets"]})
    category = {"name": "Pothole", "priority": "normal", "sla_value": "2", "sla_unit": "business_days",
                "active": "y"}
    change("/catalog/categories/new", {**category, "service_code": "my-pothole"})
    category_id = one(Category, Category.service_code == "my-pothole")
    change(f"/catalog/categories/{category_id}", {**category, "sla_value": "4"})
    change(f"/catalog/categories/{category_id}/questions", {"q-description": "Depth?", "q-datatype": "string"})
    change(f"/catalog/questions/{one(Question, Question.description == 'Depth?')}/delete")
    change("/branding", {"primary_color": "#1f4e79", "accent_color": "#8a3b00", "tile_url": TILE,
                         "tile_attribution": "Riverton GIS", "map_lat": "40", "map_lng": "-105"})
    change("/channels", {"portal": "y", "api": "y"})
    change("/hours/working", {"open1": "1", "start1": "07:00", "end1": "15:00"})
    change("/hours/preset", {"preset-country": "CA"})
    change("/hours/holidays", {"holiday-day": "2026-08-14", "holiday-name": "Founders' Day"})
    change(f"/hours/holidays/{one(Holiday)}/delete")
    change("/hours/escalation", {"esc-breached_raise_priority": "y"})
    change("/zones", {"kind": "ward", "replace": "y", "geojson": (io.BytesIO(json.dumps(WARDS).encode()), "w.json")},
           content_type="multipart/form-data")
    change(f"/zones/{one(Zone, Zone.name == 'Ward 2')}/delete")
    change("/routing/rules", {"rule-name": "Potholes to Public Works", "rule-keywords": "pothole",
                              "rule-priority": "high", "rule-sla_unit": "business_days"})
    change(f"/routing/rules/{one(RoutingRule)}/delete")
    change("/staff/invite", {"invite-email": "sam@riverton.gov", "invite-name": "Sam", "invite-role": "staff"})
    sam = _in_city(app, lambda t: str(db.session.scalar(select(Membership.id).join(
        User, User.id == Membership.user_id).where(User.email == "sam@riverton.gov"))))
    change(f"/staff/{sam}/revoke")
    change("/staff/operators", {"op-operator_org_id": org_id})
    from civic311.accounts.models import OperatorContract

    change(f"/staff/operators/{one(OperatorContract)}/revoke")
    keys = re.findall(r'name="suggestion" value="([^"]+)"', client.get(f"{BASE}/kb").get_data(as_text=True))
    change("/kb/adopt", {"suggestion": keys[:1]})
    change("/domain", {"hostname": "311.riverton.gov"})
    domain_id = _in_city(app, lambda t: str(domains_of_current_city()[0].id))
    change(f"/domain/{domain_id}/remove")
    change("/import", {"encoding": "utf-8", "file": (BOSTON.open("rb"), BOSTON.name)},
           content_type="multipart/form-data")
    job_id = one(ImportJob)
    mapping_page = client.get(f"{BASE}/import/{job_id}").get_data(as_text=True)
    guessed = dict(re.findall(r'<select name="(map-[a-z_]+)" id="[^"]+"[^>]*>.*?<option value="([^"]*)" selected',
                              mapping_page, re.S))
    change(f"/import/{job_id}", guessed)  # the guessed mapping, saved (not started)
    change("/go-live")

    assert covered == every - read_only, f"not swept: {sorted(every - read_only - covered)}"


TILE = "https://tiles.riverton.example/{z}/{x}/{y}.png"
