"""The agent desk never offers a form that intake would refuse: not when the city turned its agent desk
off, not for a category the city does not offer on the caller's channel, not for a department that is
not live yet."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from civic311.console.models import Contact
from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Department
from tests.conftest import csrf_token_from
from tests.console.conftest import client_for


def _options(page: str) -> dict[str, bool]:
    """service code -> offered (shown and selectable) in the desk's "What is the problem?" list."""
    select_html = re.search(r'<select id="service_code".*?</select>', page, re.S).group(0)
    return {m.group(1): "disabled" not in m.group(2)
            for m in re.finditer(r'<option value="([^"]+)" data-channels="[^"]*"([^>]*)>', select_html)}


def _requests() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ServiceRequest))


def test_a_city_that_turned_its_agent_desk_off_gets_a_notice_not_a_form(app, world):
    world.a.channels = {"portal": True, "api": True, "agent": False}
    db.session.commit()
    agent = client_for(app, world.operator)
    page = html.unescape(agent.get("/t/alpha/desk/").get_data(as_text=True))
    assert "Alphaville has turned its agent desk off: requests cannot be filed here." in page
    assert 'id="file-form"' not in page and "Ask the questions" not in page
    # Going to the form directly, or sending it, is refused with the same words and files nothing.
    with tenant_context(world.a.id):
        before = _requests()
    shown = agent.get("/t/alpha/desk/new?service_code=POTHOLE&channel=phone&phone=217-555-0100")
    assert shown.status_code == 302 and "/t/alpha/desk/" in shown.headers["Location"]
    assert "phone=217-555-0100" in shown.headers["Location"]  # the caller's number is kept
    landing = html.unescape(agent.get(shown.headers["Location"]).get_data(as_text=True))
    assert "This city's agent desk is turned off: requests cannot be filed here." in landing
    sent = agent.post("/t/alpha/desk/new?service_code=POTHOLE&channel=phone", data={
        "csrf_token": csrf_token_from(page), "channel": "phone", "q_size": "small", "address": "1 Elm",
        "locale": "en", "confirm_new": "1"})
    assert sent.status_code == 302
    with tenant_context(world.a.id):
        assert _requests() == before
    # Answering from the knowledge base and recording the contact still work.
    recorded = agent.post("/t/alpha/desk/contact", data={"csrf_token": csrf_token_from(page), "channel": "phone",
                                                         "note": "Asked about the pool"})
    assert recorded.status_code == 302
    with tenant_context(world.a.id):
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
    # The other city, whose desk is on, is unaffected.
    assert 'id="file-form"' in agent.get("/t/bravo/desk/").get_data(as_text=True)


def test_categories_not_offered_on_the_channel_are_not_listed(app, world):
    with tenant_context(world.a.id):
        graffiti = db.session.scalar(select(Category).where(Category.service_code == "GRAFFITI"))
        graffiti.channels = ["portal", "walk_in"]
        db.session.commit()
    agent = client_for(app, world.clerk)
    assert _options(agent.get("/t/alpha/desk/?channel=phone").get_data(as_text=True)) == {
        "POTHOLE": True, "GRAFFITI": False}
    assert _options(agent.get("/t/alpha/desk/?channel=walk_in").get_data(as_text=True)) == {
        "POTHOLE": True, "GRAFFITI": True}
    refused = agent.get("/t/alpha/desk/new?service_code=GRAFFITI&channel=phone")
    assert refused.status_code == 302
    message = html.unescape(agent.get(refused.headers["Location"]).get_data(as_text=True))
    assert "“Graffiti” is not offered on the phone channel in this city." in message
    assert agent.get("/t/alpha/desk/new?service_code=GRAFFITI&channel=walk_in").status_code == 200


def test_a_channel_with_nothing_offered_says_so(app, world):
    with tenant_context(world.a.id):
        for category in db.session.scalars(select(Category)):
            category.channels = ["portal", "phone"]
        db.session.commit()
    agent = client_for(app, world.clerk)
    email = html.unescape(agent.get("/t/alpha/desk/?channel=email").get_data(as_text=True))
    notice = re.search(r'<p[^>]*id="no-categories"[^>]*>', email).group(0)
    assert "hidden" not in notice and "No kind of request is offered on this channel in Alphaville." in email
    assert re.search(r'<form[^>]*id="file-form"[^>]*hidden', email)
    phone = agent.get("/t/alpha/desk/?channel=phone").get_data(as_text=True)
    assert "hidden" in re.search(r'<p[^>]*id="no-categories"[^>]*>', phone).group(0)


def test_a_department_not_live_yet_is_not_offered(app, world):
    with tenant_context(world.a.id):
        db.session.scalar(select(Department).where(Department.name == "Parks")).enabled = False
        db.session.commit()
    agent = client_for(app, world.clerk)
    assert _options(agent.get("/t/alpha/desk/?channel=phone").get_data(as_text=True)) == {"POTHOLE": True}
    assert agent.get("/t/alpha/desk/new?service_code=GRAFFITI&channel=phone").status_code == 302
