"""Demo: a morning of information-only calls taken by the Callcenter agent for each contracted city."""

from __future__ import annotations

from datetime import timedelta

from civic311.actor import Actor, acting_as
from civic311.console import desk
from civic311.db import db, utcnow
from civic311.demo.context import DemoContext
from civic311.kb.search import search_articles
from civic311.tenancy import tenant_context

CALLS = [
    ("phone", "trash pickup missed", "217-555-0148", "", "Caller's cart was out late; explained the 6 a.m. rule."),
    ("phone", "couch mattress", "217-555-0193", "", "Wants to set out a couch; explained scheduling."),
    ("email", "street light out", "", "r.nguyen@example.com", "Asked who fixes the light on a utility pole."),
    ("phone", "noise neighbor", "217-555-0111", "", "Barking dog at night; gave quiet hours, no request."),
    ("phone", "tracking number status", "217-555-0175", "", "Checked status of an earlier request."),
]


def seed(ctx: DemoContext) -> None:
    agent = ctx.users.get("agent@callcenter.test")
    if agent is None or ctx.operator_org is None:
        return
    actor = Actor(label=f"{agent.name} (Callcenter)", user_id=agent.id, operator_org_id=ctx.operator_org.id,
                  is_staff=True)
    for tenant in ctx.cities.values():
        made = 0
        with tenant_context(tenant.id), acting_as(actor):
            for n, (channel, query, phone, email, note) in enumerate(CALLS):
                found = search_articles(query, "en", limit=1)
                contact = desk.record_contact(channel, note=note, kb_article_id=str(found[0].id) if found else None,
                                              caller_phone=phone, caller_email=email)
                contact.created_at = utcnow() - timedelta(minutes=25 * (len(CALLS) - n))
                made += 1
            db.session.flush()  # audit rows are still pending: write them while this city is current
        ctx.say(f"Operators: {made} information-only contacts by {agent.email} in {tenant.title} (see /ops/)")


