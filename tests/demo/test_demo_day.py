"""Issue #6, "done when": a supervisor, a staff member and an operator agent from the demo can each do
their day's work.

The real demo seed (civic311/demo/seed.py, a few requests per city to stay quick) is loaded once into the
test database (SQLite, or PostgreSQL with row-level security when CIVIC311_TEST_DB=postgres), and each
person signs in through the real login form on the platform host (the operator agent with its TOTP code)
and works through the console, the dashboard, /ops and the agent desk as a browser would post them.
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pyotp
import pytest
from sqlalchemy import select

from civic311.accounts.models import OperatorOrg, User
from civic311.console.models import Contact, StandardResponse
from civic311.db import db
from civic311.demo.context import DEMO_PASSWORD
from civic311.platform.models import RequestEvent, ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Department
from civic311.tenants.models import Tenant
from tests.conftest import csrf_token_from, host_client, wipe_database


@pytest.fixture
def clean_database():
    """The module shares one seeded demo (seeding is slow): the per-test wipe happens once, at the end."""
    yield


@pytest.fixture(scope="module")
def demo(app):
    from civic311.demo.seed import _seed

    with app.app_context():
        _seed(app, 15)
        db.session.commit()
        users = {u.email: u.id for u in db.session.scalars(select(User))}
        cities = {t.slug: t.id for t in db.session.scalars(select(Tenant))}
        org_id = db.session.scalar(select(OperatorOrg.id).where(OperatorOrg.name == "Callcenter"))
        db.session.remove()
    yield SimpleNamespace(users=users, cities=cities, org_id=org_id)
    wipe_database(app)


def _sign_in(app, email: str):
    """The login form on the platform host, then the second factor when the account has one."""
    client = host_client(app, "localhost")
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": csrf_token_from(page), "email": email,
                                           "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/login/2fa"):
        with app.app_context():
            secret = db.session.scalar(select(User.totp_secret).where(User.email == email))
            db.session.remove()
        page = client.get("/login/2fa").get_data(as_text=True)
        response = client.post("/login/2fa", data={"csrf_token": csrf_token_from(page),
                                                   "code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert "/login" not in response.headers["Location"]
    return client


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', page)
    assert match, f"no field {name} in the page"
    return html.unescape(match.group(1))


def _textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name} in the page"
    return html.unescape(match.group(1)).strip()


def _act(client, number: str, action: str, fields: dict, page: str | None = None):
    url = f"/t/springfield/requests/{number}"
    page = page or client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), f"{action}-version": _field(page, f"{action}-version"),
            **{f"{action}-{k}": v for k, v in fields.items()}}
    response = client.post(f"{url}/{action}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return response


def _springfield_request(app, demo, number: str) -> ServiceRequest:
    with app.app_context(), tenant_context(demo.cities["springfield"]):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        events = [(e.kind, e.public, e.message)
                  for e in db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == req.id)
                                              .order_by(RequestEvent.at))]
        row = SimpleNamespace(status=req.status, assignee_user_id=req.assignee_user_id, events=events)
        db.session.remove()
    return row


@pytest.fixture(scope="module")
def public_works_request(app, demo) -> str:
    """A new, unassigned Springfield request for Public Works (the staff member's department)."""
    with app.app_context(), tenant_context(demo.cities["springfield"]):
        works = db.session.scalar(select(Department.id).where(Department.name == "Public Works"))
        number = db.session.scalar(select(ServiceRequest.number).where(
            ServiceRequest.department_id == works, ServiceRequest.status == "new",
            ServiceRequest.assignee_user_id.is_(None)).order_by(ServiceRequest.requested_at.desc()))
        db.session.remove()
    assert number, "the demo has a new Public Works request in Springfield"
    return number


def test_the_supervisor_opens_the_queue_assigns_a_request_to_staff_and_opens_the_dashboard(
        app, demo, public_works_request):
    supervisor = _sign_in(app, "supervisor@springfield.test")
    queue = supervisor.get("/t/springfield/queue")
    assert queue.status_code == 200 and public_works_request in queue.get_data(as_text=True)

    staff_id = str(demo.users["staff@springfield.test"])
    page = supervisor.get(f"/t/springfield/requests/{public_works_request}").get_data(as_text=True)
    assert f'value="{staff_id}"' in page, "the staff member is offered as an assignee"
    _act(supervisor, public_works_request, "assign", {"assignee": staff_id}, page)
    req = _springfield_request(app, demo, public_works_request)
    assert str(req.assignee_user_id) == staff_id and "assigned" in [kind for kind, _p, _b in req.events]

    dashboard = supervisor.get("/t/springfield/dashboard/")
    assert dashboard.status_code == 200 and "Public Works" in dashboard.get_data(as_text=True)


def test_staff_acknowledge_and_reply_with_a_standard_response_and_the_history_shows_both(
        app, demo, public_works_request):
    staff = _sign_in(app, "staff@springfield.test")
    queue = staff.get("/t/springfield/queue")
    assert queue.status_code == 200 and public_works_request in queue.get_data(as_text=True)

    _act(staff, public_works_request, "acknowledge", {"message": ""})
    with app.app_context(), tenant_context(demo.cities["springfield"]):
        response_id = db.session.scalar(select(StandardResponse.id).where(
            StandardResponse.active.is_(True), StandardResponse.locale == "en").order_by(StandardResponse.title))
        db.session.remove()
    assert response_id, "the demo city has standard responses"
    # Picking a standard response fills the reply with it (number, dates and city filled in).
    page = staff.get(f"/t/springfield/requests/{public_works_request}?response={response_id}").get_data(as_text=True)
    reply = _textarea(page, "reply-message")
    assert public_works_request in reply or "Springfield" in reply, "the response is filled in for this request"
    _act(staff, public_works_request, "reply", {"response": str(response_id), "message": reply}, page)

    req = _springfield_request(app, demo, public_works_request)
    kinds = [kind for kind, _p, _b in req.events]
    assert req.status == "acknowledged" and "acknowledged" in kinds and "public_reply" in kinds
    assert ("public_reply", True, reply) in req.events
    history = staff.get(f"/t/springfield/requests/{public_works_request}").get_data(as_text=True)
    history = history[history.index('id="history"'):]
    history = history[:history.index("</section>")]
    assert "Acknowledged" in history and "Public reply" in history
    assert html.escape(reply.splitlines()[0]) in history


def test_the_operator_agent_serves_both_cities_from_ops_and_the_desk(app, demo):
    agent = _sign_in(app, "agent@callcenter.test")
    ops = agent.get("/ops/")
    assert ops.status_code == 200
    assert "Springfield" in ops.get_data(as_text=True) and "Shelbyville" in ops.get_data(as_text=True)

    # An information-only call in Springfield.
    desk = agent.get("/t/springfield/desk/?channel=phone").get_data(as_text=True)
    response = agent.post("/t/springfield/desk/contact", data={
        "csrf_token": csrf_token_from(desk), "channel": "phone", "caller_phone": "217-555-0177",
        "note": "Asked when bulk trash is collected"})
    assert response.status_code == 302
    with app.app_context(), tenant_context(demo.cities["springfield"]):
        contact = db.session.scalar(select(Contact).where(Contact.note == "Asked when bulk trash is collected"))
        assert contact.outcome == "information" and contact.request_id is None
        assert contact.operator_org_id == demo.org_id
        assert contact.agent_user_id == demo.users["agent@callcenter.test"]
        db.session.remove()

    # A request filed in Shelbyville through the desk.
    city = "shelbyville"
    with app.app_context(), tenant_context(demo.cities[city]):
        category = db.session.scalar(select(Category).where(Category.service_code == "pothole"))
        answers = {}
        for q in category.questions:
            if q.variable and q.required:
                answers[f"q_{q.code}"] = (str(q.values[0]["key"]) if q.values else "12")
        db.session.remove()
    url = f"/t/{city}/desk/new?service_code=pothole&channel=phone"
    form = agent.get(url)
    assert form.status_code == 200
    data = {"csrf_token": csrf_token_from(form.get_data(as_text=True)), "channel": "phone", **answers,
            "address": "742 Evergreen Terrace", "lat": "", "lng": "", "name": "Lee Caller",
            "phone": "217-555-0142", "locale": "en", "description": "Deep pothole by the school"}
    filed = agent.post(url, data=data)
    if filed.status_code == 200:  # likely duplicates shown: the agent files anyway
        data["confirm_new"] = "1"
        filed = agent.post(url, data=data)
    assert filed.status_code == 302 and f"/t/{city}/desk/filed/" in filed.headers["Location"], \
        filed.get_data(as_text=True)[:2000]
    number = filed.headers["Location"].split("/filed/")[1].split("?")[0]
    assert number in agent.get(filed.headers["Location"]).get_data(as_text=True)
    with app.app_context(), tenant_context(demo.cities[city]):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        assert req.channel == "phone" and req.operator_org_id == demo.org_id
        contact = db.session.scalar(select(Contact).where(Contact.request_id == req.id))
        assert contact.outcome == "request_filed" and contact.operator_org_id == demo.org_id
        db.session.remove()
