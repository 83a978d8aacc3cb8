"""The supervisor dashboard's figures."""

from __future__ import annotations

from datetime import timedelta

from civic311.actor import Actor, acting_as
from civic311.console import dashboard, desk
from civic311.db import db, utcnow
from civic311.platform import intake
from civic311.platform.models import SurveyResponse
from civic311.tenancy import tenant_context
from tests.console.conftest import client_for, file


def test_department_and_people_figures(app, world):
    with tenant_context(world.a.id):
        now = utcnow()
        late = file("POTHOLE", address="late")
        late.due_at = now - timedelta(hours=2)
        risky = file("POTHOLE", address="risky")  # past its warning time, not yet due
        risky.at_risk_at, risky.due_at = now - timedelta(hours=1), now + timedelta(hours=3)
        done = file("POTHOLE", address="done")
        done.status, done.requested_at, done.closed_at = "closed", now - timedelta(hours=10), now - timedelta(hours=1)
        done2 = file("POTHOLE", address="done2")
        done2.status, done2.requested_at, done2.closed_at = "closed", now - timedelta(hours=4), now - timedelta(hours=2)
        db.session.add(SurveyResponse(request_id=done.id, token_hash="t1", score=4, answered_at=now))
        db.session.add(SurveyResponse(request_id=done2.id, token_hash="t2", score=5, answered_at=now))
        with acting_as(Actor(label="op", user_id=world.operator.id, operator_org_id=world.org.id, is_staff=True)):
            desk.record_contact("phone", note="Asked about trash day")
            desk.file_for_caller(intake.IntakeSubmission(service_code="GRAFFITI", channel="phone"))
        with acting_as(Actor(label="clerk", user_id=world.clerk.id, is_staff=True)):
            desk.record_contact("walk_in", note="Parking permit question")
        db.session.commit()

        rows = {d.name: d for d in dashboard.department_figures(world.a, now)}
        roads = rows["Roads"]
        assert (roads.open, roads.at_risk, roads.breached) == (3, 1, 1)
        assert roads.median_hours_to_close == 5.5  # 9 h and 2 h
        week = dashboard.start_of_week(world.a, now)
        assert roads.closed_this_week == sum(1 for r in (done, done2) if r.closed_at >= week)
        assert roads.survey_score == 4.5 and roads.survey_count == 2
        assert rows["Parks"].open == 2
        agents, orgs, channels = dashboard.people_figures(now)
        by_name = {a.name: a for a in agents}
        assert (by_name["Olive Operator"].contacts, by_name["Olive Operator"].requests_filed) == (2, 1)
        assert by_name["Carl Clerk"].information_only == 1
        assert [(o.name, o.contacts, o.requests_filed) for o in orgs] == [("Prairie Callcenter", 2, 1)]
        assert channels == {"phone": 2, "walk_in": 1, "email": 0}
    page = client_for(app, world.supervisor).get("/t/alpha/dashboard/").get_data(as_text=True)
    assert "Prairie Callcenter" in page and "Olive Operator" in page


def test_self_service_deflections_per_category_beside_contacts_handled(app, world):
    import re

    from civic311.kb.models import KbArticle
    from civic311.portal import service as portal

    with tenant_context(world.b.id):  # another city's residents never count here
        portal.record_deflection(world.cat_b.pothole.id, None, "en")
        db.session.commit()
    with tenant_context(world.a.id):
        now = utcnow()
        repairs = KbArticle(title="How fast are potholes fixed?", body="Three days.", keywords=["pothole"],
                            category_ids=[str(world.cat.pothole.id)])
        trash = KbArticle(title="Trash day", body="Mondays.", keywords=["trash"])
        db.session.add_all([repairs, trash])
        db.session.flush()
        # The portal records a resident who read an answer and stopped without filing.
        portal.record_deflection(world.cat.pothole.id, str(repairs.id), "en")
        portal.record_deflection(world.cat.pothole.id, None, "es")
        portal.record_deflection(world.cat.graffiti.id, None, "en")
        portal.record_deflection(world.cat.pothole.id, None, "en").created_at = now - timedelta(days=40)  # too old
        with acting_as(Actor(label="op", user_id=world.operator.id, operator_org_id=world.org.id, is_staff=True)):
            desk.record_contact("phone", kb_article_id=str(repairs.id))
            desk.record_contact("phone", kb_article_id=str(trash.id))
            desk.record_contact("email", note="Asked for the mayor's office hours")
            desk.file_for_caller(intake.IntakeSubmission(service_code="GRAFFITI", channel="phone"))
        db.session.commit()

        rows = {r.name: r for r in dashboard.category_figures(now)}
        pothole, graffiti, general = rows["Pothole"], rows["Graffiti"], rows[""]
        assert (pothole.deflections, pothole.agent_contacts, pothole.information_only, pothole.requests_filed) == (
            2, 1, 1, 1)
        assert pothole.self_service_share == 67  # two of the three residents with a pothole found the answer
        assert (graffiti.deflections, graffiti.agent_contacts, graffiti.information_only, graffiti.requests_filed) == (
            1, 1, 0, 2)
        assert (general.deflections, general.agent_contacts, general.information_only) == (0, 2, 2)
        assert list(rows)[-1] == ""  # general questions come last
    page = client_for(app, world.supervisor).get("/t/alpha/dashboard/").get_data(as_text=True)
    assert re.search(r"Self-service \(answered on the portal\): <strong>3</strong>", page)
    table = re.search(r'data-testid="category-figures".*?</table>', page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, re.S)]
    at = cells.index("Pothole")
    assert cells[at:at + 6] == ["Pothole", "2", "1", "1", "1", "67 %"]
    assert "General questions (no category)" in cells
