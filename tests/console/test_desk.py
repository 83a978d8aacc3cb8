"""The agent desk: information-only contacts, filing through intake with the agent's channel and the
same questions as the web form, duplicates, the caller's history, and the operator recorded on all of it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civic311.actor import Actor, acting_as
from civic311.audit import AuditEvent
from civic311.console import desk
from civic311.console.models import Contact
from civic311.db import db
from civic311.kb.models import KbArticle
from civic311.platform import intake
from civic311.platform.models import Follower, RequestEvent, ServiceRequest
from civic311.tenancy import tenant_context
from tests.conftest import csrf_token_from
from tests.console.conftest import client_for


def _operator_actor(world):
    return acting_as(Actor(label="Olive Operator", user_id=world.operator.id, operator_org_id=world.org.id,
                           is_staff=True))


def test_information_only_contact_is_counted_with_agent_and_operator(world):
    with tenant_context(world.a.id):
        article = KbArticle(title="Trash day", body="Mondays", keywords=["trash"])
        db.session.add(article)
        db.session.flush()
        with _operator_actor(world):
            contact = desk.record_contact("phone", kb_article_id=str(article.id), caller_phone="217-555-0100")
            with pytest.raises(desk.DeskError):
                desk.record_contact("phone")  # nothing said, nothing answered
            with pytest.raises(desk.DeskError):
                desk.record_contact("carrier_pigeon", note="hi")
        assert (contact.outcome, contact.agent_user_id, contact.operator_org_id) == (
            "information", world.operator.id, world.org.id)
        assert article.used_by_agents_count == 1
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.recorded"))
        assert audit.operator_org_id == world.org.id


def test_filing_for_a_caller_goes_through_intake_with_the_agents_channel(world):
    with tenant_context(world.a.id), _operator_actor(world):
        sub = intake.IntakeSubmission(service_code="POTHOLE", channel="phone", answers={"size": "small"},
                                      location=intake.Location(address="12 Oak St"),
                                      contact=intake.Contact(name="Lee", phone="(217) 555-0177"))
        result = desk.file_for_caller(sub, note="Caller in a hurry")
        req = result.request
        assert req.channel == "phone" and req.operator_org_id == world.org.id
        assert req.created_by_user_id == world.operator.id
        event = db.session.scalar(select(RequestEvent).where(RequestEvent.request_id == req.id))
        assert event.operator_org_id == world.org.id and event.channel == "phone"
        contact = db.session.scalar(select(Contact).where(Contact.request_id == req.id))
        assert contact.outcome == "request_filed" and contact.note == "Caller in a hurry"
        # The same required question as the web form.
        with pytest.raises(intake.IntakeError) as refused:
            desk.file_for_caller(intake.IntakeSubmission(service_code="POTHOLE", channel="phone",
                                                         location=intake.Location(address="x")))
        assert refused.value.for_field("attribute[size]")


def test_caller_history_matches_the_number_however_it_is_typed(world):
    with tenant_context(world.a.id):
        for typed in ("2175550100", "(217) 555-0100", "+1 217 555 0100", "217-555-0100"):
            assert [r.number for r in desk.caller_history(phone=typed)] == [world.pothole.number], typed
        assert [r.number for r in desk.caller_history(email="PAT@example.com")] == [world.pothole.number]
        assert desk.caller_history() == []


def test_phone_intake_over_http_asks_the_questions_suggests_duplicates_and_reads_the_number_back(app, world):
    agent = client_for(app, world.operator)
    url = "/t/alpha/desk/new?service_code=POTHOLE&channel=phone"
    form = agent.get(url).get_data(as_text=True)
    assert "How big is it?" in form and "Smaller than a plate" in form and "Which lane?" in form
    data = {"csrf_token": csrf_token_from(form), "channel": "phone", "q_size": "", "address": "100 Main St",
            "lat": "39.78", "lng": "-89.65", "name": "Lee Caller", "phone": "217-555-0142", "locale": "en"}
    missing = agent.post(url, data=data)
    assert missing.status_code == 422 and "Answer this question: How big is it?" in missing.get_data(as_text=True)
    assert 'value="Lee Caller"' in missing.get_data(as_text=True)  # what was typed is kept
    data["q_size"] = "large"
    dup = agent.post(url, data=data)
    body = dup.get_data(as_text=True)
    assert dup.status_code == 200 and "This may already be reported" in body and world.pothole.number in body
    data["confirm_new"] = "1"
    filed = agent.post(url, data=data)
    assert filed.status_code == 302 and "/t/alpha/desk/filed/" in filed.headers["Location"]
    page = agent.get(filed.headers["Location"]).get_data(as_text=True)
    number = re.search(r'data-testid="tracking-number">([^<]+)<', page).group(1)
    with tenant_context(world.a.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        assert req.channel == "phone" and req.operator_org_id == world.org.id and req.answers[0]["value"] == "large"


def test_caller_added_to_the_existing_request_instead_of_a_duplicate(app, world):
    agent = client_for(app, world.clerk)
    page = agent.get("/t/alpha/desk/").get_data(as_text=True)
    response = agent.post(f"/t/alpha/desk/join/{world.pothole.number}", data={
        "csrf_token": csrf_token_from(page), "channel": "walk_in", "caller_email": "neighbor@example.com",
        "caller_phone": "", "locale": "es"})
    assert response.status_code == 302
    with tenant_context(world.a.id):
        follower = db.session.scalar(select(Follower).where(Follower.email == "neighbor@example.com"))
        assert follower.request_id == world.pothole.id and follower.locale == "es"
        contact = db.session.scalar(select(Contact).where(Contact.outcome == "added_to_existing"))
        assert contact.channel == "walk_in" and contact.agent_user_id == world.clerk.id


def test_knowledge_base_search_and_recording_the_answer_over_http(app, world):
    with tenant_context(world.a.id):
        db.session.add(KbArticle(title="When is bulk trash picked up?", body="Bulk items go out the first Monday.",
                                 keywords=["bulk", "couch", "mattress"]))
        db.session.commit()
    agent = client_for(app, world.operator)
    page = agent.get("/t/alpha/desk/?channel=phone&q=old+couch").get_data(as_text=True)
    assert "When is bulk trash picked up?" in page
    assert "bulk trash" not in agent.get("/t/bravo/desk/?q=couch").get_data(as_text=True)  # never another city's
    article_id = re.search(r'name="kb_article_id" value="([^"]+)"', page).group(1)
    response = agent.post("/t/alpha/desk/contact", data={"csrf_token": csrf_token_from(page), "channel": "phone",
                                                         "kb_article_id": article_id, "note": "old couch"})
    assert response.status_code == 302
    with tenant_context(world.a.id):
        contact = db.session.scalar(select(Contact))
        assert contact.operator_org_id == world.org.id and str(contact.kb_article_id) == article_id


def test_live_answers_are_the_desks_own_results_for_this_city_only(app, world):
    with tenant_context(world.a.id):
        db.session.add(KbArticle(title="When is bulk trash picked up?", body="Bulk items go out the first Monday.",
                                 keywords=["bulk", "couch", "mattress"]))
        db.session.add(KbArticle(title="¿Cuándo recogen muebles?", body="El primer lunes.", keywords=["sofa"],
                                 locale="es"))
        db.session.commit()
    agent = client_for(app, world.operator)
    live = agent.get("/t/alpha/desk/answers?q=old+couch&channel=walk_in&phone=217-555-0100")
    body = live.get_data(as_text=True)
    assert live.status_code == 200 and live.headers["Cache-Control"] == "no-store"
    assert "<html" not in body and "When is bulk trash picked up?" in body  # just the answers
    assert 'data-summary="1 answer for “old couch”."' in body
    assert 'name="channel" value="walk_in"' in body and 'name="caller_phone" value="217-555-0100"' in body
    assert csrf_token_from(body)  # "This answered it" works from the live results too
    assert "¿Cuándo recogen muebles?" in agent.get("/t/alpha/desk/answers?q=sofa&answers_in=es").get_data(as_text=True)
    # Answers in Spanish for the caller leave the agent's own screens in their language.
    assert "<h1>Agent desk</h1>" in agent.get("/t/alpha/desk/?q=sofa&answers_in=es").get_data(as_text=True)
    spanish_agent = client_for(app, world.clerk)  # an agent whose own screens are in Spanish
    assert 'data-summary="1 respuesta para «old couch»."' in spanish_agent.get(
        "/t/alpha/desk/answers?q=old+couch&lang=es").get_data(as_text=True)
    nothing = agent.get("/t/alpha/desk/answers?q=zebra").get_data(as_text=True)
    assert 'data-summary="No answer matches “zebra”."' in nothing
    assert "bulk trash" not in agent.get("/t/bravo/desk/answers?q=couch").get_data(as_text=True)
    assert client_for(app, world.outsider).get("/t/alpha/desk/answers?q=couch").status_code == 404
    # The page itself loads the script from the app (no inline script: CSP script-src 'self').
    page = agent.get("/t/alpha/desk/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    text = page.get_data(as_text=True)
    assert re.search(r'<script src="/console-assets/desk-search.js" defer></script>', text)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert agent.get("/console-assets/desk-search.js").status_code == 200


def test_an_operator_adding_a_caller_to_an_existing_request_is_recorded_with_its_organization(app, world):
    from civic311.platform.models import RequestEvent, ServiceRequest

    with tenant_context(world.a.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == world.pothole.number))
        with acting_as(Actor(label="Olive <olive@prairie.test>", user_id=world.operator.id,
                             operator_org_id=world.org.id, is_staff=True)):
            contact = desk.add_caller_to_existing(req, "phone", email="caller@example.com")
        db.session.commit()
        assert (contact.operator_org_id, contact.agent_user_id) == (world.org.id, world.operator.id)
        note = db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == req.id)
                                  .order_by(RequestEvent.at.desc())).first()
        assert note.operator_org_id == world.org.id and note.actor_user_id == world.operator.id
