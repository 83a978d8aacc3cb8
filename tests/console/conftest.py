"""A small city for console tests: two departments, categories with questions, people of every role,
an operator organization contracted by both test cities, and a few requests."""

from __future__ import annotations

from types import SimpleNamespace

import pyotp
import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import inspect

from civic311.accounts import service as accounts
from civic311.actor import Actor, acting_as
from civic311.db import db, utcnow
from civic311.platform import intake
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Department, Question

PASSWORD = "correct horse battery"


def build_catalog() -> SimpleNamespace:
    roads = Department(name="Roads")
    parks = Department(name="Parks")
    db.session.add_all([roads, parks])
    db.session.flush()
    pothole = Category(service_code="POTHOLE", name="Pothole", department_id=roads.id, sla_value=3,
                       sla_unit="days", keywords=["pothole"])
    graffiti = Category(service_code="GRAFFITI", name="Graffiti", department_id=parks.id, sla_value=5,
                        sla_unit="days", location_required=False)
    db.session.add_all([pothole, graffiti])
    db.session.flush()
    db.session.add_all([
        Question(category_id=pothole.id, code="size", datatype="singlevaluelist", required=True, position=1,
                 description="How big is it?", values=[{"key": "small", "name": "Smaller than a plate"},
                                                       {"key": "large", "name": "Larger than a tire"}]),
        Question(category_id=pothole.id, code="lane", datatype="string", required=False, position=2,
                 description="Which lane?"),
    ])
    db.session.flush()
    db.session.expire(pothole, ["questions"])
    return SimpleNamespace(roads=roads, parks=parks, pothole=pothole, graffiti=graffiti)


def file(service_code: str, *, lat=39.78, lng=-89.65, address="100 Main St", answers=None, email=None, phone=None,
         channel="portal", anonymous=False):
    sub = intake.IntakeSubmission(
        service_code=service_code, channel=channel, answers=answers or ({"size": "large"}
                                                                        if service_code == "POTHOLE" else {}),
        location=intake.Location(lat=lat, lng=lng, address=address),
        contact=intake.Contact(name="Pat Resident" if email or phone else None, email=email, phone=phone),
        anonymous=anonymous,
    )
    with acting_as(Actor.system("test")):
        return intake.file_request(sub).request


_HASH: list[str] = []


@pytest.fixture
def fast_passwords(monkeypatch):
    """Every test user gets PASSWORD, hashed once per session (argon2 is slow on purpose)."""
    from civic311.accounts.passwords import hash_password

    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    monkeypatch.setattr(accounts, "hash_password", lambda _password: _HASH[0])


@pytest.fixture
def world(two_tenants, fast_passwords):
    a, b = two_tenants
    w = SimpleNamespace(a=a, b=b)
    org = accounts.create_operator_org("Prairie Callcenter", "prairie")
    w.org = org
    w.admin = accounts.create_user("admin@alphaville.gov", "Ada Admin", PASSWORD)
    w.supervisor = accounts.create_user("sup@alphaville.gov", "Sam Supervisor", PASSWORD)
    w.roads_staff = accounts.create_user("roads@alphaville.gov", "Rita Roads", PASSWORD)
    w.parks_staff = accounts.create_user("parks@alphaville.gov", "Pete Parks", PASSWORD)
    w.clerk = accounts.create_user("clerk@alphaville.gov", "Carl Clerk", PASSWORD)
    w.operator = accounts.create_user("agent@prairiecalls.com", "Olive Operator", PASSWORD, operator_org=org,
                                      operator_role="agent")
    w.operator.totp_secret = pyotp.random_base32()
    w.operator.totp_enabled_at = utcnow()
    w.outsider = accounts.create_user("bravo-staff@bravotown.gov", "Bob Bravo", PASSWORD)
    with tenant_context(a.id):
        w.cat = build_catalog()
        accounts.grant_membership(w.admin, "admin")
        accounts.grant_membership(w.supervisor, "supervisor")
        accounts.grant_membership(w.roads_staff, "staff", [w.cat.roads.id])
        accounts.grant_membership(w.parks_staff, "staff", [w.cat.parks.id])
        accounts.grant_membership(w.clerk, "agent")
        w.contract_a = accounts.grant_contract(org, phone_line="+1 (217) 555-0311",
                                               script="Thank you for calling Alphaville 311.")
        w.pothole = file("POTHOLE", email="pat@example.com", phone="217-555-0100")
        w.graffiti = file("GRAFFITI", address="Lincoln Park")
    with tenant_context(b.id):
        w.cat_b = build_catalog()
        accounts.grant_membership(w.outsider, "admin")
        w.contract_b = accounts.grant_contract(org, phone_line="+1 312 555 0199",
                                               script="Bravotown 311, how can I help?")
        w.b_request = file("POTHOLE", address="BRAVO-ONLY 9 Elm St")
    db.session.commit()
    # Tenant rows, frozen: after a commit an ORM object reloads lazily, and outside its tenant
    # PostgreSQL's row-level security (rightly) hides it. Tests read these values anywhere.
    with tenant_context(a.id):
        w.pothole, w.graffiti = frozen(w.pothole), frozen(w.graffiti)
        w.cat = SimpleNamespace(**{k: frozen(v) for k, v in vars(w.cat).items()})
        w.contract_a = frozen(w.contract_a)
    with tenant_context(b.id):
        w.b_request, w.contract_b = frozen(w.b_request), frozen(w.contract_b)
        w.cat_b = SimpleNamespace(**{k: frozen(v) for k, v in vars(w.cat_b).items()})
    return w


def frozen(row) -> SimpleNamespace:
    """A row's column values as a plain namespace."""
    return SimpleNamespace(**{attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs})


class FreshClient(FlaskClient):
    """The `ctx` fixture keeps one application context open, which requests then share, and with it
    `g` (Flask-Login caches the user there). Each request here starts with an empty `g`, as in production."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


def client_for(app, user=None, host: str = "localhost") -> FreshClient:
    client = FreshClient(app, app.response_class, use_cookies=True)
    client.environ_base["HTTP_HOST"] = host
    if user is not None:
        sign_in(client, user)
    return client


def sign_in(client, user) -> None:
    """A signed-in staff session on the platform host (the real form is exercised in the browser tests)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_host"] = "localhost"
