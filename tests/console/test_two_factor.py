"""Staff enrol a TOTP second factor themselves; those whose role requires it cannot turn it off."""

from __future__ import annotations

import re

import pyotp

from civic311.db import db
from tests.conftest import csrf_token_from
from tests.console.conftest import client_for


def test_city_staff_enrol_and_remove_totp(app, world):
    client = client_for(app, world.roads_staff)
    page = client.get("/staff/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/staff/two-factor", data={"code": "000000", "csrf_token": csrf_token_from(page)})
    assert wrong.status_code == 422 and "That code is not valid" in wrong.get_data(as_text=True)
    ok = client.post("/staff/two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token_from(page)})
    assert ok.status_code == 302
    db.session.refresh(world.roads_staff)
    assert world.roads_staff.totp_enabled_at is not None
    on = client.get("/staff/two-factor").get_data(as_text=True)
    assert "Two-factor authentication is on" in on
    # Turning it off needs a fresh code (the one just used cannot be replayed).
    refused = client.post("/staff/two-factor/remove", data={"remove-code": pyotp.TOTP(secret).now(),
                                                            "csrf_token": csrf_token_from(on)})
    assert refused.status_code == 302
    db.session.refresh(world.roads_staff)
    assert world.roads_staff.totp_enabled_at is not None


def test_operator_agents_cannot_turn_it_off(app, world):
    client = client_for(app, world.operator)
    page = client.get("/staff/two-factor").get_data(as_text=True)
    assert "Your role requires it" in page and "Turn off" not in page
    client.post("/staff/two-factor/remove", data={"remove-code": pyotp.TOTP(world.operator.totp_secret).now(),
                                                  "csrf_token": csrf_token_from(page)})
    db.session.refresh(world.operator)
    assert world.operator.totp_enabled_at is not None


def test_someone_working_in_two_cities_cannot_turn_it_off(app, world):
    from civic311.accounts.service import grant_membership
    from civic311.db import utcnow
    from civic311.tenancy import tenant_context

    user = world.roads_staff
    user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), utcnow()
    with tenant_context(world.b.id):
        grant_membership(user, "staff")
        db.session.commit()
    client = client_for(app, user)
    page = client.get("/staff/two-factor").get_data(as_text=True)
    assert "Your role requires it" in page and "Turn off" not in page
    client.post("/staff/two-factor/remove", data={"remove-code": pyotp.TOTP(user.totp_secret).now(),
                                                  "csrf_token": csrf_token_from(page)})
    db.session.refresh(user)
    assert user.totp_enabled_at is not None
