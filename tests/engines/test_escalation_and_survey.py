"""SLA escalation (once per level, safe to run twice) and the closure survey."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic311.accounts.models import User
from civic311.db import db, utcnow
from civic311.jobs import run_job_in_app
from civic311.platform import lifecycle
from civic311.platform.escalation import escalate_city
from civic311.platform.models import RequestEvent, ServiceRequest, SurveyResponse
from civic311.platform.surveys import SurveyError, answer_survey, survey_token
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Department
from civic311.tenants.models import Tenant
from tests.conftest import csrf_token_from
from tests.engines.helpers import city_get, drain, file, pothole_category, text_of

POLICY = {"at_risk": ["notify_supervisor"],
          "breached": ["raise_priority", "notify_supervisor", "reassign_to_supervisor"]}


def _city_with_supervisor(tenant):
    boss = User(email="maria.supervisor@example.gov", name="Maria Lopez", password_hash="x")
    db.session.add(boss)
    db.session.flush()
    tenant = db.session.get(Tenant, tenant.id)
    tenant.escalation_policy = POLICY
    cat = pothole_category(sla_value=2, sla_unit="days")
    db.session.get(Department, (tenant.id, cat.department_id)).supervisor_user_id = boss.id
    return boss


def test_breached_request_is_escalated_once(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        boss = _city_with_supervisor(a)
        req = file(requested_at=utcnow() - timedelta(days=3))
        db.session.commit()
        boss_id, req_id = boss.id, req.id
    drain(app)
    first = run_job_in_app(app, "civic311.platform.escalation:run_escalation", None)
    drain(app)
    second = run_job_in_app(app, "civic311.platform.escalation:run_escalation", None)
    drain(app)
    assert first == {"alpha": 1, "bravo": 0} and second == {"alpha": 0, "bravo": 0}
    db.session.expire_all()
    with tenant_context(a.id):
        req = db.session.get(ServiceRequest, (a.id, req_id))
        assert (req.sla_state, req.escalation_level, req.priority) == ("breached", 2, "high")
        assert req.assignee_user_id == boss_id
        events = db.session.scalars(select(RequestEvent).where(RequestEvent.kind == "escalated")).all()
        assert len(events) == 1 and not events[0].public
        assert "supervisor notified" in events[0].data["done"]
    [alert] = sink.to("maria.supervisor@example.gov")
    assert "past its due date" in text_of(alert) and req.number in alert["Subject"]


def test_at_risk_then_breached_acts_once_per_level(app, two_tenants, sink):
    a, _ = two_tenants
    with tenant_context(a.id):
        _city_with_supervisor(a)
        req = file()
        db.session.commit()
        start = req.requested_at
        assert escalate_city(a.id, now=start + timedelta(hours=12)) == 0  # on track
        assert escalate_city(a.id, now=start + timedelta(hours=40)) == 1  # 75 % gone: at risk
        assert escalate_city(a.id, now=start + timedelta(hours=41)) == 0
        assert (req.sla_state, req.priority) == ("at_risk", "normal")
        assert escalate_city(a.id, now=start + timedelta(hours=49)) == 1  # breached
        assert escalate_city(a.id, now=start + timedelta(hours=50)) == 0
        db.session.commit()
    drain(app)
    assert len(sink.to("maria.supervisor@example.gov")) == 2  # one per level


def test_closed_and_unpolicied_requests_are_left_alone(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category(sla_value=1, sla_unit="days")
        closed = file(requested_at=utcnow() - timedelta(days=5))
        lifecycle.close(closed, "resolved")
        quiet = file(requested_at=utcnow() - timedelta(days=5))
        db.session.commit()
        assert escalate_city(a.id) == 1  # only `quiet`; no policy: state recorded, nothing done
        assert quiet.sla_state == "breached" and quiet.priority == "normal" and closed.sla_state == "missed"


# --- survey ---------------------------------------------------------------------------------------

def _closed_request(a):
    pothole_category()
    req = file()
    db.session.flush()
    lifecycle.close(req, "resolved")
    db.session.commit()
    return req


def test_survey_token_is_stored_hashed_and_answers_once_per_request(app, two_tenants):
    a, b = two_tenants
    with tenant_context(a.id):
        req = _closed_request(a)
        token = survey_token(req)
        survey = db.session.scalars(select(SurveyResponse)).one()
        assert token and survey.token_hash != token and len(survey.token_hash) == 64
        lifecycle.reopen(req, "Still there", by_reporter=True)
        lifecycle.close(req, "resolved")
        assert db.session.scalars(select(SurveyResponse)).all() == [survey]  # one per request
        with pytest.raises(SurveyError) as err:
            answer_survey(token, 9, "")
        assert err.value.errors[0].field == "score"
        answer_survey(token, "4", "Quick work, thanks")
        db.session.commit()
        assert (survey.score, survey.comment) == (4, "Quick work, thanks")
    with tenant_context(b.id), pytest.raises(SurveyError) as err:
        answer_survey(token, 5, "")  # another city never finds it
    assert err.value.not_found


def test_survey_page(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        req = _closed_request(a)
        token = survey_token(req)
        number = req.number
    client = app.test_client()
    base = "http://alpha.localhost"
    page = client.get(f"/survey/{token}", base_url=base)
    assert page.status_code == 200 and number in page.get_data(as_text=True)
    csrf = csrf_token_from(page.get_data(as_text=True))
    bad = client.post(f"/survey/{token}", base_url=base, data={"csrf_token": csrf, "comment": "Kept text"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Choose a score" in html and "Kept text" in html
    done = client.post(f"/survey/{token}", base_url=base, data={"csrf_token": csrf, "score": "5", "comment": ""})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    assert city_get(app, "bravo", f"/survey/{token}").status_code == 404
    assert city_get(app, "alpha", "/survey/not-a-token").status_code == 404
    with tenant_context(a.id):
        assert db.session.scalars(select(SurveyResponse.score)).one() == 5


def test_reopen_restarts_the_sla_and_escalation(app, two_tenants, sink):
    """A request breached and escalated, then closed, is reopened: it gets a fresh due date from the
    category's SLA counted from the reopening, is on track again, and escalates again when late."""
    a, _ = two_tenants
    with tenant_context(a.id):
        _city_with_supervisor(a)  # the category's SLA: 2 calendar days
        req = file(requested_at=utcnow() - timedelta(days=5))
        db.session.commit()
        assert escalate_city(a.id) == 1
        assert (req.sla_state, req.escalation_level) == ("breached", 2)
        lifecycle.close(req, "resolved")
        db.session.commit()
        before = utcnow()
        lifecycle.reopen(req, "Still there", by_reporter=True)
        db.session.commit()
        assert req.status == "new" and req.escalation_level == 0 and req.sla_state == "on_track"
        assert before + timedelta(days=2) <= req.due_at <= utcnow() + timedelta(days=2)
        assert req.at_risk_at == req.due_at - timedelta(hours=12)  # three quarters of 2 days from now
        assert escalate_city(a.id) == 0  # not instantly breached
        assert escalate_city(a.id, now=req.due_at + timedelta(minutes=1)) == 1  # nor skipped when late
        assert (req.sla_state, req.escalation_level) == ("breached", 2)
        db.session.commit()


def test_reopen_keeps_a_routing_rule_sla_override(app, two_tenants):
    from civic311.tenants.catalog import RoutingRule

    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category(sla_value=10, sla_unit="days")
        db.session.add(RoutingRule(name="Urgent words", position=1, conditions={"keywords": ["gas"]},
                                   actions={"sla_value": 4, "sla_unit": "hours"}))
        db.session.commit()
        req = file(description="gas smell", requested_at=utcnow() - timedelta(days=1))
        lifecycle.close(req, "resolved")
        db.session.commit()
        lifecycle.reopen(req, "Smell is back", by_reporter=False)
        db.session.commit()
        assert timedelta(hours=3, minutes=59) < req.due_at - utcnow() <= timedelta(hours=4)


def test_surveys_follow_the_citys_plan_and_the_platforms_switch(app, two_tenants):
    """Town's plan has no surveys: closing asks nobody to rate it, until the platform switches them on."""
    a, _ = two_tenants
    with tenant_context(a.id):
        city = db.session.get(Tenant, a.id)
        city.plan_code, city.status = "town", "active"
        db.session.commit()
        req = _closed_request(a)
        assert survey_token(req) is None and db.session.scalars(select(SurveyResponse)).all() == []
        city.feature_flags = {"surveys": True}
        lifecycle.reopen(req, "Still there", by_reporter=True)
        lifecycle.close(req, "resolved")
        db.session.commit()
        assert survey_token(req) is not None
