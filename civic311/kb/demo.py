"""Demo: each city adopts the starter answers for the categories it offers, in English and Spanish."""

from __future__ import annotations

from civic311.actor import Actor, acting_as
from civic311.demo.context import DemoContext
from civic311.kb import service
from civic311.tenancy import tenant_context


def seed(ctx: DemoContext) -> None:
    for slug, tenant in ctx.cities.items():
        admin = ctx.users.get(f"admin@{slug}.test")
        actor = Actor(label=admin.name if admin else "demo", user_id=admin.id if admin else None, is_staff=True)
        with tenant_context(tenant.id), acting_as(actor):
            added = service.adopt_suggested([s["key"] for s in service.suggested_articles()], tenant.title)
        ctx.say(f"Knowledge base: {added} answers (en/es) in {tenant.title}; agents search them at /t/{slug}/desk/")
