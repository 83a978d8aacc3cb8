"""Demo platform admin: a feature switched on beyond a city's plan, a trial extension and Springfield
letting support in for a day, so the admin pages have something true to show."""

from __future__ import annotations

from civic311.actor import Actor, acting_as
from civic311.admin import service
from civic311.db import db
from civic311.demo.context import DemoContext
from civic311.tenancy import tenant_context


def seed(ctx: DemoContext) -> None:
    ops = ctx.users.get("admin@civic311.test")
    springfield, shelbyville = ctx.cities.get("springfield"), ctx.cities.get("shelbyville")
    if ops is None:
        return
    with acting_as(Actor(label=f"{ops.name} <{ops.email}>", user_id=ops.id, is_staff=True)):
        if springfield is not None:
            service.set_feature_flag(springfield, "custom_domain", True)  # a deal beyond its City plan
        if shelbyville is not None:
            service.extend_trial(shelbyville, 14, "Council votes on the subscription at its next meeting")
    city_admin = ctx.users.get("admin@springfield.test")
    if springfield is not None and city_admin is not None:
        with tenant_context(springfield.id), acting_as(
            Actor(label=f"{city_admin.name} <{city_admin.email}>", user_id=city_admin.id, is_staff=True)
        ):
            service.allow_support_access(springfield, 24)
            db.session.flush()
    db.session.flush()
    ctx.say("Platform admin: /admin (admin@civic311.test); Springfield allows support access for 24 hours")
