"""The lifecycle: every change of a request goes through here, and writes its history.

new → acknowledged → in_progress → closed (with a reason), and reopen within the city's window.
Each function checks the move is allowed, changes the request, writes one `RequestEvent` (who, when,
what, from which channel), an audit row when staff act, and outbox rows for notifications. Callers
that show a form pass the version they displayed, so two people editing at once never silently
overwrite each other.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from civic311 import audit
from civic311.actor import current_actor
from civic311.db import db, utcnow
from civic311.platform import outbox, routing, sla
from civic311.platform.models import CLOSE_REASONS, Follower, RequestEvent, ServiceRequest
from civic311.tenancy import current_tenant_id
from civic311.tenants.catalog import Category, Department, RoutingRule
from civic311.tenants.models import Tenant

TRANSITIONS = {
    "new": {"acknowledged", "in_progress", "closed"},
    "acknowledged": {"in_progress", "closed", "new"},
    "in_progress": {"acknowledged", "closed"},
    "closed": set(),  # only reopen() leaves closed
}
# Open311 extended statuses that each lifecycle status may carry.
DETAILED_FOR_STATUS = {"new": "open", "acknowledged": "open", "in_progress": "in_progress", "closed": "closed"}


class LifecycleError(ValueError):
    pass


class ConcurrentChange(LifecycleError):
    """The request changed since the person loaded it; they are told and can retry."""


def check_version(req: ServiceRequest, expected: int | None) -> None:
    if expected is not None and int(expected) != req.version:
        raise ConcurrentChange(_("Someone else changed this request while you were working on it. "
                                 "Review the latest version and try again."))


def record_event(req: ServiceRequest, kind: str, *, public: bool, message: str = "", channel: str | None = None,
                 from_status: str | None = None, to_status: str | None = None, data: dict | None = None,
                 notify_template: str | None = None, detailed_status: str | None = None,
                 external_update_id: str | None = None) -> RequestEvent:
    """Write one history entry (and the audit row and notifications it implies)."""
    actor = current_actor()
    now = utcnow()
    event = RequestEvent(
        request_id=req.id, at=now, kind=kind, public=public, message=message or "",
        actor_user_id=actor.user_id, actor_label=actor.label, operator_org_id=actor.operator_org_id,
        channel=channel, from_status=from_status, to_status=to_status, data=data or {},
        detailed_status=detailed_status, external_update_id=external_update_id,
    )
    db.session.add(event)
    req.updated_at = now
    db.session.flush()
    if actor.is_staff:
        audit.record(f"request.{kind}", target=req, details={"number": req.number, "event_id": str(event.id),
                                                            **({"to": to_status} if to_status else {})})
    if notify_template:
        outbox.add("notify", {"request_id": str(req.id), "event_id": str(event.id), "template": notify_template},
                   dedupe_key=f"notify:{event.id}", fresh=True)
    return event


def _move(req: ServiceRequest, to: str) -> str:
    if to not in TRANSITIONS.get(req.status, set()):
        raise LifecycleError(_("A request that is %(a)s cannot become %(b)s.", a=req.status, b=to))
    previous = req.status
    req.status = to
    return previous


def acknowledge(req: ServiceRequest, *, version: int | None = None, message: str = "") -> RequestEvent:
    check_version(req, version)
    previous = _move(req, "acknowledged")
    req.acknowledged_at = req.acknowledged_at or utcnow()
    req.detailed_status = "open"
    return record_event(req, "acknowledged", public=True, message=message, from_status=previous,
                        to_status="acknowledged", notify_template="status_changed")


def set_status(req: ServiceRequest, status: str, *, version: int | None = None, message: str = "",
               detailed_status: str | None = None, channel: str | None = None,
               external_update_id: str | None = None) -> RequestEvent:
    """Move an open request between new, acknowledged and in progress."""
    if status == "closed":
        raise LifecycleError("use close() to close a request")
    check_version(req, version)
    previous = _move(req, status)
    if status == "acknowledged":
        req.acknowledged_at = req.acknowledged_at or utcnow()
    req.detailed_status = detailed_status or DETAILED_FOR_STATUS[status]
    return record_event(req, "status", public=True, message=message, from_status=previous, to_status=status,
                        channel=channel, detailed_status=req.detailed_status,
                        external_update_id=external_update_id, notify_template="status_changed")


def close(req: ServiceRequest, reason: str, *, version: int | None = None, note: str = "",
          duplicate_of: ServiceRequest | None = None, detailed_status: str | None = None,
          channel: str | None = None, external_update_id: str | None = None) -> RequestEvent:
    if reason not in CLOSE_REASONS:
        raise LifecycleError(_("Choose a reason for closing."))
    if reason == "duplicate" and duplicate_of is None:
        raise LifecycleError(_("Say which request this one duplicates."))
    check_version(req, version)
    previous = _move(req, "closed")
    now = utcnow()
    req.close_reason = reason
    req.close_note = note or None
    req.closed_at = now
    req.duplicate_of_id = duplicate_of.id if duplicate_of else None
    req.detailed_status = detailed_status or {"duplicate": "duplicate", "referred": "not_councils_responsibility",
                                              "not_actionable": "no_further_action", "withdrawn": "cancelled"
                                              }.get(reason, "fixed")
    req.sla_state = sla.state_of(req.due_at, req.at_risk_at, now)
    data = {"reason": reason}
    if duplicate_of is not None:
        data.update(duplicate_of=duplicate_of.number, duplicate_of_id=str(duplicate_of.id))
    event = record_event(req, "closed", public=True, message=note, from_status=previous, to_status="closed",
                         data=data, channel=channel, detailed_status=req.detailed_status,
                         external_update_id=external_update_id, notify_template="closed")
    from civic311.platform import surveys

    if not req.anonymous and (req.reporter_email or req.reporter_phone) and surveys.offered():
        surveys.open_survey(req)
        if req.reporter_phone or req.resident_account_id:
            # E-mail readers get the link in the closure e-mail; someone reached only by text gets it
            # in a text of its own, once per request however often it is closed (the key says so).
            # The key (not the closure's event) names the sends, apart from the closure's own text.
            outbox.add("notify", {"request_id": str(req.id), "key": f"survey:{req.id}", "template": "survey"},
                       dedupe_key=f"survey:{req.id}")
    return event


def reopen(req: ServiceRequest, reason: str, *, by_reporter: bool, version: int | None = None,
           channel: str | None = None) -> RequestEvent:
    if req.status != "closed":
        raise LifecycleError(_("Only a closed request can be reopened."))
    if not reason.strip():
        raise LifecycleError(_("Say why the problem is not solved."))
    check_version(req, version)
    tenant = db.session.get(Tenant, current_tenant_id())
    if by_reporter and req.closed_at and utcnow() - req.closed_at > timedelta(days=tenant.reopen_window_days):
        raise LifecycleError(_("This request was closed more than %(n)s days ago. Please file a new report.",
                               n=tenant.reopen_window_days))
    req.status = "new"
    req.detailed_status = "reopen"
    req.close_reason = None
    req.close_note = None
    req.closed_at = None
    req.duplicate_of_id = None
    req.reopened_count += 1
    restart_sla(tenant, req)
    return record_event(req, "reopened", public=True, message=reason, from_status="closed", to_status="new",
                        channel=channel, detailed_status="reopen", data={"by_reporter": by_reporter},
                        notify_template="status_changed")


def restart_sla(tenant: Tenant, req: ServiceRequest) -> None:
    """A fresh due date from now, by the SLA that timed the request when it was filed (the routing
    rule's override if one set it, else the category's), and escalation back to level 0: a reopened
    request is neither born breached nor skipped by the escalation job, which only looks below level 2."""
    value, unit = _sla_of(req)
    department = db.session.get(Department, (tenant.id, req.department_id)) if req.department_id else None
    now = utcnow()
    req.due_at, req.at_risk_at = sla.due_dates(tenant, department, now, value, unit)
    req.escalation_level = 0
    req.sla_state = sla.state_of(req.due_at, req.at_risk_at, None, now)


def _sla_of(req: ServiceRequest) -> tuple[int, str]:
    category = db.session.get(Category, (req.tenant_id, req.category_id))
    value, unit = (category.sla_value, category.sla_unit) if category is not None else (3, "business_days")
    rule = db.session.get(RoutingRule, (req.tenant_id, req.routing_rule_id)) if req.routing_rule_id else None
    actions = (rule.actions or {}) if rule is not None else {}
    if actions.get("sla_value"):  # as routing applied it: the rule's value, its unit or the category's
        return int(actions["sla_value"]), actions.get("sla_unit") or unit
    return value, unit


def assign(req: ServiceRequest, user_id: uuid.UUID | None, *, version: int | None = None,
           label: str = "") -> RequestEvent:
    check_version(req, version)
    previous = req.assignee_user_id
    req.assignee_user_id = user_id
    return record_event(req, "assigned", public=False, message=label,
                        data={"from": str(previous) if previous else None, "to": str(user_id) if user_id else None})


def public_reply(req: ServiceRequest, message: str, *, version: int | None = None,
                 channel: str | None = None) -> RequestEvent:
    if not message.strip():
        raise LifecycleError(_("Write a reply."))
    check_version(req, version)
    return record_event(req, "public_reply", public=True, message=message.strip(), channel=channel,
                        notify_template="reply")


def internal_note(req: ServiceRequest, message: str, *, version: int | None = None) -> RequestEvent:
    if not message.strip():
        raise LifecycleError(_("Write a note."))
    check_version(req, version)
    return record_event(req, "internal_note", public=False, message=message.strip())


def merge(duplicate: ServiceRequest, into: ServiceRequest, *, version: int | None = None) -> RequestEvent:
    """Close `duplicate` as a duplicate of `into`; its followers follow `into` from now on."""
    if duplicate.id == into.id:
        raise LifecycleError(_("A request cannot be merged into itself."))
    if not into.is_open:
        raise LifecycleError(_("Merge into an open request."))
    def who(f: Follower) -> str:  # an e-mail follower or an SMS-only follower
        return f.email or f"sms:{f.phone}"

    existing = {who(f) for f in db.session.scalars(select(Follower).where(Follower.request_id == into.id))}
    for follower in db.session.scalars(select(Follower).where(Follower.request_id == duplicate.id)):
        if (follower.email or follower.phone) and who(follower) not in existing and follower.unsubscribed_at is None:
            db.session.add(Follower(request_id=into.id, email=follower.email, phone=follower.phone,
                                    locale=follower.locale, is_reporter=False))
            existing.add(who(follower))
    record_event(into, "merged", public=False, data={"merged": duplicate.number, "merged_id": str(duplicate.id)})
    return close(duplicate, "duplicate", version=version, duplicate_of=into,
                 note=_("This was already reported as %(n)s.", n=into.number))


def recategorize(req: ServiceRequest, category: Category, *, version: int | None = None) -> RequestEvent:
    """A new category re-routes the request; its original answers stay as filed."""
    check_version(req, version)
    tenant = db.session.get(Tenant, current_tenant_id())
    old = (req.service_code, req.service_name)
    decision = routing.route(tenant, routing.RoutingInput(category, req.channel, req.description, req.lat, req.lng))
    req.category_id = category.id
    req.service_code = category.service_code
    req.service_name = category.name
    req.department_id = decision.department_id
    req.priority = decision.priority
    req.routing_rule_id = decision.rule_id
    req.routing_explanation = decision.explanation
    department = db.session.get(Department, (tenant.id, decision.department_id)) if decision.department_id else None
    req.due_at, req.at_risk_at = sla.due_dates(tenant, department, req.requested_at, decision.sla_value,
                                               decision.sla_unit)
    req.sla_state = sla.state_of(req.due_at, req.at_risk_at, req.closed_at)
    return record_event(req, "recategorized", public=False,
                        data={"from": old[0], "to": category.service_code, "routing": decision.explanation})


def move_pin(req: ServiceRequest, lat: float, lng: float, address: str | None = None, *,
             version: int | None = None) -> RequestEvent:
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise LifecycleError(_("That map position is not valid."))
    check_version(req, version)
    old = {"lat": req.lat, "lng": req.lng, "address": req.address}
    from civic311.platform.zones import zone_at

    req.lat, req.lng = lat, lng
    if address is not None:
        req.address = address.strip() or None
    zone = zone_at(lat, lng)
    req.zone_id = zone.id if zone else None
    return record_event(req, "moved", public=False, data={"from": old, "to": {"lat": lat, "lng": lng}})


def follow(req: ServiceRequest, email: str, locale: str = "en") -> Follower:
    """Someone asks to be told about this request (idempotent)."""
    email = email.strip().lower()
    follower = db.session.scalar(select(Follower).where(Follower.request_id == req.id, Follower.email == email))
    if follower is None:
        follower = Follower(request_id=req.id, email=email, locale=locale)
        db.session.add(follower)
    follower.unsubscribed_at = None
    db.session.flush()
    return follower
