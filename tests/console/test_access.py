"""Who sees what: staff limited to their departments, other cities answer 404, agents only the desk,
operators only contracted cities, revoking a contract cuts access on the next request."""

from __future__ import annotations

import re

from sqlalchemy import select

from civic311.accounts.models import OperatorContract
from civic311.accounts.service import revoke_contract
from civic311.db import db
from civic311.tenancy import tenant_context
from tests.conftest import csrf_token_from
from tests.console.conftest import client_for


def test_staff_see_only_their_departments(app, world):
    roads = client_for(app, world.roads_staff)
    queue = roads.get("/t/alpha/queue").get_data(as_text=True)
    assert world.pothole.number in queue and world.graffiti.number not in queue
    assert roads.get(f"/t/alpha/requests/{world.pothole.number}").status_code == 200
    assert roads.get(f"/t/alpha/requests/{world.graffiti.number}").status_code == 404
    # Filtering for the other department does not widen the view.
    parks_id = world.cat.parks.id
    assert world.graffiti.number not in roads.get(f"/t/alpha/queue?department={parks_id}").get_data(as_text=True)
    page = roads.get(f"/t/alpha/requests/{world.pothole.number}").get_data(as_text=True)
    post = roads.post(f"/t/alpha/requests/{world.graffiti.number}/note",
                      data={"note-message": "x", "note-version": "1", "csrf_token": csrf_token_from(page)})
    assert post.status_code == 404


def test_another_citys_request_and_console_answer_404(app, world):
    sup = client_for(app, world.supervisor)
    assert sup.get(f"/t/alpha/requests/{world.b_request.number}").status_code == 404
    assert sup.get("/t/bravo/queue").status_code == 404
    assert sup.get("/t/nowhere/queue").status_code == 404
    assert "BRAVO-ONLY" not in sup.get("/t/alpha/queue?status=all").get_data(as_text=True)
    outsider = client_for(app, world.outsider)
    assert outsider.get("/t/alpha/queue").status_code == 404
    assert outsider.get("/t/alpha/desk/").status_code == 404


def test_signed_out_people_are_sent_to_the_login(app, world):
    anon = client_for(app)
    response = anon.get("/t/alpha/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert anon.get("/ops/").status_code == 302


def test_roles(app, world):
    clerk = client_for(app, world.clerk)  # the city's own agent
    assert clerk.get("/t/alpha/queue").headers["Location"].endswith("/t/alpha/desk/")
    assert clerk.get("/t/alpha/desk/").status_code == 200
    assert clerk.get("/t/alpha/dashboard/").status_code == 403
    roads = client_for(app, world.roads_staff)
    assert roads.get("/t/alpha/dashboard/").status_code == 403
    assert roads.get("/t/alpha/kb/").status_code == 403
    assert roads.get("/t/alpha/responses/").status_code == 403
    assert client_for(app, world.supervisor).get("/t/alpha/kb/").status_code == 200
    assert clerk.get("/ops/").status_code == 404  # not an operator


def test_operator_agent_sees_contracted_cities_only_and_revoking_cuts_access_at_once(app, world):
    agent = client_for(app, world.operator)
    assert agent.get("/t/alpha/desk/").status_code == 200
    assert agent.get("/t/bravo/desk/").status_code == 200
    assert agent.get(f"/t/alpha/requests/{world.pothole.number}").status_code == 403  # agents work the desk
    with tenant_context(world.b.id):
        revoke_contract(db.session.scalar(select(OperatorContract)))
        db.session.commit()
    assert agent.get("/t/bravo/desk/").status_code == 404
    home = agent.get("/ops/").get_data(as_text=True)
    assert "Alphaville" in home and "Bravotown" not in home
    line = agent.get("/ops/call?line=312-555-0199")
    assert line.status_code == 302 and "/t/bravo/" not in line.headers["Location"]


def test_operator_agent_needs_two_factor(app, world):
    world.operator.totp_enabled_at = None
    db.session.commit()
    assert client_for(app, world.operator).get("/ops/").status_code == 403
    # The login itself sends an operator to the second factor before any page.
    client = client_for(app)
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": world.operator.email, "password": "correct horse battery",
                                           "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert response.headers["Location"].endswith("/login/2fa")
    assert client.get("/ops/").status_code == 302  # not signed in until the code is given


def test_a_call_tagged_with_the_citys_line_opens_that_citys_desk(app, world):
    agent = client_for(app, world.operator)
    response = agent.get("/ops/call?line=%2B1%20217%20555%200311&caller=217-555-0100")
    assert response.status_code == 302 and "/t/alpha/desk/" in response.headers["Location"]
    desk = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for calling Alphaville 311." in desk
    assert world.pothole.number in desk  # the caller's history, by phone
    unknown = agent.get("/ops/call?line=999")
    assert unknown.status_code == 302 and unknown.headers["Location"].endswith("/ops/")


def test_suspended_city_is_read_only_and_past_due_warns_admins(app, world):
    world.a.status = "past_due"
    db.session.commit()
    assert "past due" in client_for(app, world.admin).get("/t/alpha/queue").get_data(as_text=True)
    assert "past due" not in client_for(app, world.roads_staff).get("/t/alpha/queue").get_data(as_text=True)
    world.a.status = "suspended"
    db.session.commit()
    sup = client_for(app, world.supervisor)
    page = sup.get(f"/t/alpha/requests/{world.pothole.number}")
    assert page.status_code == 200 and "read-only" in page.get_data(as_text=True)
    response = sup.post(f"/t/alpha/requests/{world.pothole.number}/note",
                        data={"note-message": "x", "note-version": "1",
                              "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == 403


def test_refused_input_is_shown_next_to_the_form_with_what_was_typed(app, world):
    sup = client_for(app, world.supervisor)
    url = f"/t/alpha/requests/{world.pothole.number}"
    page = sup.get(url).get_data(as_text=True)
    version = re.search(r'name="merge-version"[^>]*value="(\d+)"', page).group(1)
    response = sup.post(f"{url}/merge", data={"merge-into": "ALP-26-999999", "merge-version": version,
                                              "csrf_token": csrf_token_from(page)})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "There is no request ALP-26-999999 in this city." in body and 'value="ALP-26-999999"' in body


def test_standard_response_fills_the_reply(app, world):
    sup = client_for(app, world.supervisor)
    page = sup.get("/t/alpha/responses/new").get_data(as_text=True)
    saved = sup.post("/t/alpha/responses/new", data={
        "title": "Scheduled", "locale": "en", "active": "y", "csrf_token": csrf_token_from(page),
        "body": "Your report {tracking_number} about a {category} in {city} is scheduled."})
    assert saved.status_code == 302
    detail = sup.get(f"/t/alpha/requests/{world.pothole.number}").get_data(as_text=True)
    link = re.search(r'href="([^"]*response=[^"#]+)', detail).group(1).replace("&amp;", "&")
    filled = sup.get(link).get_data(as_text=True)
    assert f"Your report {world.pothole.number} about a Pothole in Alphaville is scheduled." in filled
