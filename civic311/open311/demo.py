"""Demo: an Open311 key for Springfield, printed once with a curl example that uses it."""

from __future__ import annotations

from civic311.actor import Actor, acting_as
from civic311.db import db
from civic311.demo.context import DemoContext
from civic311.open311.developers import example_category, example_fields
from civic311.open311.serializers import api_categories
from civic311.tenancy import tenant_context
from civic311.tenants.apikeys import issue_key


def seed(ctx: DemoContext) -> None:
    city = ctx.cities["springfield"]
    admin = ctx.users.get("admin@springfield.test")
    actor = Actor(label=f"{admin.name} <{admin.email}>", user_id=admin.id, is_staff=True) if admin else \
        Actor.system("demo")
    with tenant_context(city.id), acting_as(actor):
        _, raw = issue_key("Springfield Fix-It mobile app (demo)", rate_limit_per_minute=120)
        db.session.flush()
        lat, lng = city.map_center
        category = example_category(api_categories())
        fields = example_fields(category, lat, lng) if category else [
            ("service_code", "SERVICE_CODE"), ("lat", str(lat)), ("long", str(lng))]
    domain = ctx.app.config["CIVIC311"].platform_domain
    base = f"http://springfield.{domain}:5000/open311/v2"
    ctx.say(f"Open311 API key for Springfield (shown once): {raw}")
    ctx.say(f"  curl -X POST '{base}/requests.json' -d api_key={raw} "
            + " ".join(f"-d '{name}={value}'" for name, value in fields))
    ctx.say(f"  Developer guide: http://springfield.{domain}:5000/developers")
