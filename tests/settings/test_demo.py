"""The settings' demo step: Springfield's wards, two rules that use them, holidays."""

from __future__ import annotations

from sqlalchemy import select

from civic311.accounts.service import create_user, grant_membership
from civic311.db import db
from civic311.demo.context import DemoContext
from civic311.platform.routing import RoutingInput, route
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Holiday, RoutingRule, Zone
from civic311.tenants.demo import seed
from civic311.tenants.service import create_tenant
from civic311.tenants.starter_catalog import adopt_starter_catalog


def test_springfield_gets_wards_rules_and_holidays(ctx):
    springfield = create_tenant(slug="springfield", name="Springfield", status="active")
    admin = create_user("admin@springfield.test", "Avery Admin", "demo-password-long")
    with tenant_context(springfield.id):
        adopt_starter_catalog()
        grant_membership(admin, "admin")
    demo = DemoContext(app=ctx, cities={"springfield": springfield}, users={admin.email: admin})
    seed(demo)
    db.session.commit()
    with tenant_context(springfield.id):
        assert len(db.session.scalars(select(Zone)).all()) == 4
        rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
        assert len(rules) == 2 and all(r.conditions["zone_ids"] for r in rules)
        # the national calendar is on; the city's own rows are only what the nation does not observe
        assert springfield.holiday_country == "US"
        own = {h.name for h in db.session.scalars(select(Holiday))}
        assert {"Lincoln's Birthday", "Casimir Pulaski Day"} <= own
        assert not own & {"Christmas Day", "Independence Day", "New Year's Day", "Thanksgiving"}
        tree = db.session.scalar(select(Category).where(Category.service_code == "tree-down"))
        lat, lng = springfield.map_center
        decision = route(springfield, RoutingInput(tree, "portal", "", lat + 0.02, lng - 0.03))
        assert decision.priority == "urgent" and decision.rule_id == rules[0].id
    assert "2 routing rules" in demo.summary_lines[-1] and "secret" not in demo.summary_lines[-1].lower()
