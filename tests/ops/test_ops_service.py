"""The operators' workspace service: contracted cities only, work waiting in each, line matching."""

from __future__ import annotations

from sqlalchemy import select

from civic311.accounts.models import OperatorContract
from civic311.accounts.service import revoke_contract
from civic311.db import db
from civic311.ops import service
from civic311.tenancy import tenant_context
from tests.console.conftest import client_for


def test_cities_waiting_work_and_lines(world):
    cities = service.waiting_work(world.operator)
    assert [c.tenant.slug for c in cities] == ["alpha", "bravo"]
    alpha = cities[0]
    assert alpha.waiting["new"] == 2 and alpha.waiting["open"] == 2
    assert alpha.contract.script == "Thank you for calling Alphaville 311."
    assert service.city_for_line(world.operator, "2175550311").tenant.slug == "alpha"
    assert service.city_for_line(world.operator, "+1-312-555-0199").tenant.slug == "bravo"
    assert service.city_for_line(world.operator, "") is None
    assert service.contracted_cities(world.supervisor) == []  # not an operator


def test_revoked_contract_disappears_from_the_workspace(app, world):
    with tenant_context(world.a.id):
        revoke_contract(db.session.scalar(select(OperatorContract)))
        db.session.commit()
    assert [c.tenant.slug for c in service.contracted_cities(world.operator)] == ["bravo"]
    assert service.city_for_line(world.operator, "2175550311") is None
    agent = client_for(app, world.operator)
    assert agent.get("/t/alpha/desk/").status_code == 404
    page = agent.get("/ops/").get_data(as_text=True)
    assert "Bravotown 311, how can I help?" in page and "Alphaville" not in page


def test_the_citys_name_and_logo_stay_in_sight_on_the_desk_and_the_workspace(app, world):
    import re

    world.a.logo_key = "local:t/alpha/branding/logo.png"
    db.session.commit()
    agent = client_for(app, world.operator)
    desk = agent.get("/t/alpha/desk/").get_data(as_text=True)
    brand = re.search(r'<a class="brand city-brand".*?</a>', desk, re.S).group(0)
    assert re.search(r'<img src="[^"]*logo\.png[^"]*" alt="">', brand) and "Alphaville" in brand
    assert 'data-testid="desk-city">Alphaville<' in desk
    bravo = agent.get("/t/bravo/desk/").get_data(as_text=True)
    assert "logo.png" not in bravo and 'data-testid="desk-city">Bravotown<' in bravo
    assert "logo.png" in agent.get("/ops/").get_data(as_text=True)


def test_the_combined_view_counts_breached_work_and_this_organizations_contacts_today(world):
    from datetime import timedelta

    from civic311.actor import Actor, acting_as
    from civic311.console import desk
    from civic311.db import utcnow

    with tenant_context(world.a.id):
        from civic311.platform.models import ServiceRequest

        pothole = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == world.pothole.number))
        pothole.due_at = utcnow() - timedelta(hours=1)  # past due, still open
        with acting_as(Actor(label="op", user_id=world.operator.id, operator_org_id=world.org.id, is_staff=True)):
            desk.record_contact("phone", note="Asked about trash day")
        with acting_as(Actor(label="clerk", user_id=world.clerk.id, is_staff=True)):
            desk.record_contact("walk_in", note="The city's own desk: not the operator's work")
        db.session.commit()
    alpha, bravo = service.waiting_work(world.operator)
    assert (alpha.waiting["breached"], alpha.waiting["contacts_today"]) == (1, 1)
    assert (bravo.waiting["breached"], bravo.waiting["contacts_today"]) == (0, 0)
