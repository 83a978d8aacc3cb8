"""mySociety's servicerequestupdates: pull the public history out, push a back office's status in.

A pushed update goes through the lifecycle like any staff change; its `update_id` is stored on the
history entry, so the same update sent twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from civic311.db import db, utcnow
from civic311.open311.formats import Open311Error
from civic311.open311.serializers import iso
from civic311.platform import lifecycle
from civic311.platform.models import RequestEvent, ServiceRequest
from civic311.tenants.models import Tenant

UPDATE_KINDS = ("acknowledged", "status", "closed", "reopened", "public_reply")
# Extended status → (close reason, detailed status). Statuses not here keep or move an open request.
CLOSING = {
    "fixed": ("resolved", "fixed"),
    "closed": ("resolved", "closed"),
    "duplicate": ("duplicate", "duplicate"),
    "not_councils_responsibility": ("referred", "not_councils_responsibility"),
    "internal_referral": ("referred", "internal_referral"),
    "no_further_action": ("not_actionable", "no_further_action"),
    "cancelled": ("withdrawn", "cancelled"),
}
WORKING = ("in_progress", "action_scheduled", "investigating")
OPENING = ("open", "reopen", "for_triage")
STATUSES = (*OPENING, *WORKING, *CLOSING)


def list_updates(tenant: Tenant, start: datetime | None, end: datetime | None, limit: int = 1000,
                 offset: int = 0) -> list[dict]:
    """Public updates in the window, newest first (so a capped page holds the latest, not the oldest)."""
    tz = ZoneInfo(tenant.timezone)
    end = end or utcnow()
    start = start or end - timedelta(days=90)
    rows = db.session.execute(
        select(RequestEvent, ServiceRequest.number)
        .join(ServiceRequest, (ServiceRequest.tenant_id == RequestEvent.tenant_id)
              & (ServiceRequest.id == RequestEvent.request_id))
        .where(RequestEvent.public.is_(True), RequestEvent.kind.in_(UPDATE_KINDS),
               RequestEvent.at >= start, RequestEvent.at <= end)
        .order_by(RequestEvent.at.desc(), RequestEvent.id.desc()).limit(limit).offset(offset)
    ).all()
    out = []
    for event, number in rows:
        status = (event.detailed_status or ("closed" if event.to_status == "closed" else "open")).lower()
        item = {
            "update_id": str(event.id),
            "service_request_id": number,
            "status": status,
            "updated_datetime": iso(event.at, tz),
            "description": event.message or "",
            "media_url": (event.data or {}).get("media_url") if isinstance(event.data, dict) else None,
        }
        if isinstance(event.data, dict) and event.data.get("external_status_code"):
            item["external_status_code"] = str(event.data["external_status_code"])
        out.append(item)
    return out


def apply_update(tenant: Tenant, number: str, update_id: str, status: str, description: str,
                 external_status_code: str | None = None, duplicate_of: str | None = None,
                 updated_at: datetime | None = None, media_url: str | None = None) -> RequestEvent:
    """Apply one pushed update (idempotent on update_id, which belongs to one request only)."""
    req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
    existing = db.session.scalar(select(RequestEvent).where(RequestEvent.external_update_id == update_id))
    if existing is not None:
        if req is None or existing.request_id != req.id:
            raise Open311Error(400, _("update_id already used for another request."))
        return existing
    if req is None:
        raise Open311Error(404, _("There is no request %(n)s.", n=number))
    status = status.strip().lower()
    if status not in STATUSES:
        raise Open311Error(400, _("status %(s)s is not one of %(all)s.", s=status.upper(),
                                  all=", ".join(s.upper() for s in STATUSES)))
    try:
        event = _apply(req, status, description, update_id, duplicate_of)
    except lifecycle.LifecycleError as exc:
        raise Open311Error(400, str(exc)) from None
    extra = {k: v for k, v in (("external_status_code", external_status_code), ("media_url", media_url)) if v}
    if extra:
        event.data = {**(event.data or {}), **extra}
    when = _event_time(req, updated_at)
    if when is not None:
        event.at = when
    return event


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _event_time(req: ServiceRequest, updated_at: datetime | None) -> datetime | None:
    """The back office's own time for the update when it is in the past; a future time, one from before
    the request was filed (a wrong clock: it would sort before "submitted") or none leaves it at now."""
    if updated_at is None or not _aware(req.requested_at) < _aware(updated_at) < utcnow():
        return None
    return _aware(updated_at)


def _apply(req: ServiceRequest, status: str, description: str, update_id: str,
           duplicate_of: str | None) -> RequestEvent:
    if status in CLOSING:
        reason, detailed = CLOSING[status]
        target = None
        if reason == "duplicate":
            target = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == duplicate_of)) \
                if duplicate_of else None
            if target is None:  # no original named: still closed, still shown as a duplicate
                reason = "not_actionable"
        if req.status == "closed":
            raise lifecycle.LifecycleError(_("This request is already closed."))
        return lifecycle.close(req, reason, note=description, duplicate_of=target, detailed_status=detailed,
                               channel="api", external_update_id=update_id)
    if req.status == "closed":
        event = lifecycle.reopen(req, description or _("Reopened by the department."), by_reporter=False,
                                 channel="api")
        event.external_update_id = update_id
        return event
    target_status = "in_progress" if status in WORKING else req.status
    detailed = "open" if status == "reopen" else status
    if target_status != req.status:
        return lifecycle.set_status(req, target_status, message=description, detailed_status=detailed,
                                    channel="api", external_update_id=update_id)
    # Same lifecycle status, new detail (e.g. investigating → action_scheduled): a history entry only.
    req.detailed_status = detailed
    return lifecycle.record_event(req, "status", public=True, message=description, channel="api",
                                  from_status=req.status, to_status=req.status, detailed_status=detailed,
                                  external_update_id=update_id, notify_template="status_changed")
