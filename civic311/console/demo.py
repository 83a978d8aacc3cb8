"""Demo: standard responses per city, a supervisor's saved view, and internal notes on open requests."""

from __future__ import annotations

from sqlalchemy import select

from civic311.actor import Actor, acting_as
from civic311.console import service
from civic311.db import db
from civic311.demo.context import DemoContext
from civic311.platform import lifecycle
from civic311.platform.models import OPEN_STATUSES, ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Department

RESPONSES = [
    ("en", "Received and scheduled",
     "Thank you for reporting this to {city}. Your request {tracking_number} ({category}) has been reviewed "
     "and a crew is scheduled. We expect to finish by {expected_date}."),
    ("en", "Needs more detail",
     "Thank you for request {tracking_number}. Our crew could not find the problem at {address}. Could you "
     "reply with the nearest house number or a landmark?"),
    ("en", "Referred to another agency",
     "Request {tracking_number} concerns property that {city} does not maintain. We have passed it to the "
     "responsible agency and closed it on our side."),
    ("en", "Completed",
     "The work for request {tracking_number} ({category}) is complete. Thank you for helping keep {city} in "
     "good shape."),
    ("es", "Recibida y programada",
     "Gracias por reportar esto a {city}. Su solicitud {tracking_number} ({category}) fue revisada y una "
     "cuadrilla está programada. Esperamos terminar antes del {expected_date}."),
    ("es", "Trabajo terminado",
     "El trabajo de la solicitud {tracking_number} ({category}) está terminado. Gracias por ayudar a {city}."),
]
NOTES = [
    "Crew 3 looked at it on the morning route; needs the larger truck, rescheduled.",
    "Called the reporter back, confirmed the exact spot is in front of the bus stop.",
    "Waiting on the utility locate ticket before digging.",
    "Same block as last month's repair; check whether the patch failed.",
]


def _actor(user) -> Actor:
    return Actor(label=f"{user.name} <{user.email}>", user_id=user.id, is_staff=True)


def seed(ctx: DemoContext) -> None:
    for slug, tenant in ctx.cities.items():
        admin = ctx.users.get(f"admin@{slug}.test")
        supervisor = ctx.users.get(f"supervisor@{slug}.test") or admin
        if admin is None:
            continue
        with tenant_context(tenant.id):
            with acting_as(_actor(admin)):
                for locale, title, body in RESPONSES:
                    service.save_standard_response(None, title=title, body=body, locale=locale)
            with acting_as(_actor(supervisor)):
                works = db.session.scalar(select(Department).where(Department.name == "Public Works"))
                filters = {"sla": "at_risk", **({"department": str(works.id)} if works else {})}
                service.save_view(supervisor.id, "Public Works at risk", filters)
                service.save_view(supervisor.id, "Unassigned, breached", {"assignee": "none", "sla": "breached"})
                open_requests = db.session.scalars(
                    select(ServiceRequest).where(ServiceRequest.status.in_(OPEN_STATUSES))
                    .order_by(ServiceRequest.due_at).limit(len(NOTES))).all()
                for req, note in zip(open_requests, NOTES, strict=False):
                    lifecycle.internal_note(req, note)
            db.session.flush()  # audit rows are still pending: write them while this city is current
        ctx.say(f"Console: {len(RESPONSES)} standard responses, 2 saved views for {supervisor.email}, "
                f"queue at /t/{slug}/queue")
