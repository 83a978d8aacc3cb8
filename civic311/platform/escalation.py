"""SLA escalation: a periodic job that moves open requests on_track → at_risk → breached and acts.

Per city, `tenant.escalation_policy` says what to do at each level, e.g.
{"at_risk": ["notify_supervisor"], "breached": ["raise_priority", "notify_supervisor", "reassign_to_supervisor"]}.
A request's `escalation_level` (0, 1 at risk, 2 breached) records how far it has been escalated, so
each level acts once: running the job twice changes nothing the second time, and the supervisor's
e-mail is also guarded by the outbox's and the deliveries' unique keys.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from civic311.accounts.models import User
from civic311.actor import Actor, acting_as
from civic311.db import db, utcnow
from civic311.platform import outbox, sla
from civic311.platform.lifecycle import record_event
from civic311.platform.models import OPEN_STATUSES, ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import PRIORITIES, Department
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.escalation")

LEVELS = {"on_track": 0, "at_risk": 1, "breached": 2}
ACTIONS = ("notify_supervisor", "raise_priority", "reassign_to_supervisor")
BATCH = 500


def run_escalation(_tenant_id: None = None) -> dict[str, int]:
    """Periodic job over every live city. Returns {city slug: requests escalated}."""
    cities = db.session.execute(
        select(Tenant.id, Tenant.slug).where(Tenant.status.in_(("trial", "active", "past_due")))
    ).all()
    db.session.commit()
    result = {}
    for tenant_id, slug in cities:
        with tenant_context(tenant_id):
            try:
                result[slug] = escalate_city(tenant_id)
                db.session.commit()
            except Exception:  # one city's trouble must not stop the others
                db.session.rollback()
                log.exception("escalation failed for %s", slug)
    return result


def escalate_city(tenant_id: uuid.UUID, now=None) -> int:
    """Recompute the SLA state of the city's open requests and act on any new level."""
    now = now or utcnow()
    tenant = db.session.get(Tenant, tenant_id)
    policy = tenant.escalation_policy or {}
    rows = db.session.scalars(
        select(ServiceRequest).where(
            ServiceRequest.status.in_(OPEN_STATUSES),
            ServiceRequest.due_at.is_not(None),
            ServiceRequest.escalation_level < 2,
            ServiceRequest.at_risk_at <= now,
        ).order_by(ServiceRequest.due_at).limit(BATCH)
    ).all()
    escalated = 0
    with acting_as(Actor.system("SLA escalation")):
        for req in rows:
            state = sla.state_of(req.due_at, req.at_risk_at, None, now)
            level = LEVELS.get(state, 0)
            if level <= req.escalation_level:
                continue
            try:
                with db.session.begin_nested():
                    escalate(tenant, req, state, level, policy.get(state) or [])
                escalated += 1
            except StaleDataError:  # staff changed it this very moment; the next run sees it again
                log.info("request %s changed during escalation; retrying next run", req.number)
    return escalated


def escalate(tenant: Tenant, req: ServiceRequest, state: str, level: int, actions: list[str]) -> None:
    department = db.session.get(Department, (tenant.id, req.department_id)) if req.department_id else None
    supervisor = db.session.get(User, department.supervisor_user_id) if department and \
        department.supervisor_user_id else None
    done: list[str] = []
    previous = {"sla_state": req.sla_state, "priority": req.priority,
                "assignee": str(req.assignee_user_id) if req.assignee_user_id else None}
    req.sla_state = state
    req.escalation_level = level
    if "raise_priority" in actions:
        position = PRIORITIES.index(req.priority) if req.priority in PRIORITIES else 1
        if position < len(PRIORITIES) - 1:
            req.priority = PRIORITIES[position + 1]
            done.append(f"priority raised to {req.priority}")
    if "reassign_to_supervisor" in actions and supervisor is not None and req.assignee_user_id != supervisor.id:
        req.assignee_user_id = supervisor.id
        done.append(f"reassigned to {supervisor.name or supervisor.email}")
    event = record_event(req, "escalated", public=False, message=f"SLA {state.replace('_', ' ')}",
                         data={"level": state, "actions": actions, "done": list(done), "previous": previous})
    if "notify_supervisor" in actions:
        to = _supervisor_addresses(supervisor, department)
        if to:
            outbox.add("notify", {"request_id": str(req.id), "event_id": str(event.id), "template": "escalated",
                                  "level": state, "actions": done, "recipients": to},
                       dedupe_key=f"escalation:{req.id}:{state}")
            done.append("supervisor notified")
        else:
            done.append("no supervisor to notify")
    event.data = {**event.data, "done": done}


def _supervisor_addresses(supervisor: User | None, department: Department | None) -> list[dict]:
    if supervisor is not None and supervisor.email:
        return [{"email": supervisor.email, "locale": getattr(supervisor, "locale", None) or "en",
                 "name": getattr(supervisor, "name", None)}]
    if department is not None and department.contact_email:
        return [{"email": department.contact_email, "locale": "en"}]
    return []
