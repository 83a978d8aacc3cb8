"""Self-service signup: a clerk creates a city, confirms the e-mail, and lands in the setup wizard."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civic311.accounts.models import Membership, User
from civic311.audit import AuditEvent
from civic311.db import db
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from tests.conftest import csrf_token_from


def _mail_outbox():
    from civic311.platform.notifications.mail import LOG_OUTBOX

    return LOG_OUTBOX


def _signup(client, **overrides):
    page = client.get("/signup/")
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "city_name": "Riverton",
            "slug": "riverton", "admin_name": "Dana Clerk", "email": "dana@riverton.gov",
            "password": "a long enough password", "timezone": "America/Denver", "languages": ["en", "es"]}
    data.update(overrides)
    return client.post("/signup/", data=data)


def test_home_page_shows_plans_and_start_your_city(platform_client):
    html = platform_client.get("/").get_data(as_text=True)
    assert "Start your city" in html and "/signup/" in html
    assert "$199" in html and "Town" in html  # prices from civic311.billing.plans


def test_slug_check_answers_as_the_clerk_types(platform_client, ctx):
    from civic311.tenants.service import create_tenant

    create_tenant(slug="taken-town", name="Taken Town")
    db.session.commit()
    assert platform_client.get("/signup/slug-check?slug=fresh-city").get_json()["ok"] is True
    taken = platform_client.get("/signup/slug-check?slug=taken-town").get_json()
    assert taken["ok"] is False and "already taken" in taken["message"]
    reserved = platform_client.get("/signup/slug-check?slug=admin").get_json()
    assert reserved["ok"] is False and "reserved" in reserved["message"]
    assert platform_client.get("/signup/slug-check?slug=A!").get_json()["ok"] is False


def test_signup_creates_a_trial_city_with_its_admin_and_verifies_the_email(platform_client, ctx):
    _mail_outbox().clear()
    response = _signup(platform_client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/t/riverton/settings/setup")
    city = db.session.scalar(select(Tenant).where(Tenant.slug == "riverton"))
    assert city.status == "trial" and city.timezone == "America/Denver" and city.locales == ["en", "es"]
    user = db.session.scalar(select(User).where(User.email == "dana@riverton.gov"))
    assert user.email_verified_at is None
    with tenant_context(city.id):
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership.role == "admin"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.signed_up"))
    # signed in: the wizard opens and asks to confirm the address
    wizard = platform_client.get("/t/riverton/settings/setup").get_data(as_text=True)
    assert "Confirm your e-mail address" in wizard and "Departments and categories" in wizard
    message = _mail_outbox()[-1]
    assert message["To"] == "dana@riverton.gov"
    link = re.search(r"http://localhost(/signup/verify/\S+)", message.get_content()).group(1)
    confirmed = platform_client.get(link)
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/t/riverton/settings/setup")
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is not None
    assert "Confirm your e-mail address" not in platform_client.get("/t/riverton/settings/setup").get_data(
        as_text=True)
    assert platform_client.get("/signup/verify/forged-token").status_code == 400


def test_a_slug_in_use_is_refused_next_to_the_field_and_nothing_is_saved(platform_client, ctx):
    from civic311.tenants.service import create_tenant

    create_tenant(slug="riverton", name="Riverton")
    db.session.commit()
    response = _signup(platform_client, email="other@riverton.gov")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="slug-error"' in html and "already taken" in html
    assert 'value="Riverton"' in html  # what was typed is kept
    assert db.session.scalar(select(User).where(User.email == "other@riverton.gov")) is None


def test_an_email_that_already_has_an_account_is_refused(platform_client, ctx):
    from civic311.accounts.service import create_user

    create_user("dana@riverton.gov", "Dana", "another long password")
    db.session.commit()
    response = _signup(platform_client)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert db.session.scalar(select(Tenant).where(Tenant.slug == "riverton")) is None


def test_settings_are_for_admins_of_that_city_only(app):
    from tests.conftest import host_client

    platform_client = host_client(app, "localhost")  # no app context held open: g is per request
    _signup(platform_client)
    other = host_client(app, "localhost")
    _signup(other, city_name="Lakeside", slug="lakeside", email="lee@lakeside.gov")
    assert other.get("/t/riverton/settings/").status_code == 404
    assert other.get("/t/lakeside/settings/").status_code == 200


def test_the_confirmation_link_can_be_sent_again(app):
    from civic311.platform.notifications.mail import LOG_OUTBOX
    from tests.conftest import host_client

    client = host_client(app, "localhost")
    _signup(client)
    LOG_OUTBOX.clear()
    page = client.get("/t/riverton/settings/setup").get_data(as_text=True)
    response = client.post("/signup/verify/resend", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert len(LOG_OUTBOX) == 1 and LOG_OUTBOX[0]["To"] == "dana@riverton.gov"
    assert client.post("/signup/verify/resend", data={}).status_code == 400  # no CSRF token


@pytest.mark.parametrize("slug, words", [("admin", "reserved"), ("www", "reserved"), ("Open311", "reserved"),
                                         ("9lives", "starting with a letter"), ("river--ton", "single hyphens"),
                                         ("ab", "3 to 40")])
def test_a_reserved_or_malformed_address_is_refused_on_submit_too(platform_client, ctx, slug, words):
    """The live check is a convenience: the server refuses the same addresses when the form is sent."""
    response = _signup(platform_client, slug=slug)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="slug-error"' in html and words in html
    assert db.session.scalar(select(Tenant)) is None
    assert db.session.scalar(select(User).where(User.email == "dana@riverton.gov")) is None
