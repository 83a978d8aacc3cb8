"""Rows → the spec's structures. Only public facts: never a reporter's name, e-mail, phone or account."""

from __future__ import annotations

import importlib
import uuid
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import Attachment, RequestEvent, ServiceRequest
from civic311.tenants.catalog import Category, CategoryGroup, Department, Question, Zone
from civic311.tenants.models import Tenant

LIST_TYPES = ("singlevaluelist", "multivaluelist")
CLOSE_REASON_TEXT = {
    "resolved": "Resolved",
    "duplicate": "Duplicate of another request",
    "referred": "Referred to another agency",
    "not_actionable": "No further action",
    "no_access": "Could not reach the location",
    "withdrawn": "Withdrawn",
}
# History kinds → the `type` of an Open311 note (extension).
NOTE_TYPES = {"submitted": "submitted", "acknowledged": "opened", "reopened": "opened", "closed": "closed",
              "follow_on_created": "follow_on_created"}


def iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the city's offset on every value (never a naive time)."""
    if value is None:
        return None
    return value.astimezone(tz).isoformat(timespec="seconds")


# --- services -------------------------------------------------------------------------------------

def api_categories() -> list[Category]:
    """Active categories offered through the API whose department is live."""
    rows = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.name)
    ).all()
    live = {d.id for d in db.session.scalars(select(Department).where(Department.enabled.is_(True)))}
    return [c for c in rows if (not c.channels or "api" in c.channels)
            and (c.department_id is None or c.department_id in live)]


def service(category: Category, groups: dict[uuid.UUID, str], has_questions: set[uuid.UUID]) -> dict:
    group = groups.get(category.group_id) if category.group_id else None
    return {
        "service_code": category.service_code,
        "service_name": category.name,
        "description": category.description or "",
        "metadata": category.id in has_questions,
        "type": category.service_type if category.service_type in ("realtime", "batch", "blackbox") else "realtime",
        "keywords": ", ".join(str(k) for k in category.keywords or []),
        "group": group or "",
        "groups": [group] if group else [],
    }


def services(categories: list[Category]) -> list[dict]:
    groups = {g.id: g.name for g in db.session.scalars(select(CategoryGroup))}
    with_questions = set(db.session.scalars(select(Question.category_id)))
    return [service(c, groups, with_questions) for c in categories]


def definition(category: Category) -> dict:
    attributes = []
    for order, question in enumerate(category.questions, start=1):
        attribute = {
            "variable": bool(question.variable),
            "code": question.code,
            "datatype": question.datatype,
            "required": bool(question.required),
            "datatype_description": question.help_text or "",
            "order": order,
            "description": question.description,
        }
        if question.datatype in LIST_TYPES:
            attribute["values"] = [{"key": str(v["key"]), "name": str(v.get("name", v["key"]))}
                                   for v in question.values]
        attributes.append(attribute)
    return {"service_code": category.service_code, "attributes": attributes}


# --- requests -------------------------------------------------------------------------------------

def _photo_urls(requests: list) -> dict[uuid.UUID, list[str]]:
    """Every public photo link of each request: stored attachments first, then links the client sent."""
    found: dict[uuid.UUID, list[str]] = {r.id: [] for r in requests}
    url_for_attachment = _attachment_url_function()
    if url_for_attachment is not None and requests:
        rows = db.session.scalars(
            select(Attachment).where(Attachment.request_id.in_([r.id for r in requests]),
                                     Attachment.public.is_(True)).order_by(Attachment.created_at))
        for row in rows:
            found[row.request_id].append(url_for_attachment(row))
    for req in requests:
        found[req.id].extend(str(u) for u in req.media_urls or [])
    return found


def _first_photo(tenant: Tenant, url_for_attachment, req) -> str | None:
    """media_url: the first stored photo (its key is a column of the row), else the first link sent."""
    if req.photo_key and url_for_attachment is not None:
        # attachment_url reads only these three attributes of the attachment.
        return url_for_attachment(SimpleNamespace(storage_key=req.photo_key, thumb_key=None, tenant_id=tenant.id))
    return str(req.media_urls[0]) if req.media_urls else None


def _attachment_url_function():
    try:
        module = importlib.import_module("civic311.platform.attachments")
    except ModuleNotFoundError:
        return None
    return getattr(module, "attachment_url", None)


def status_notes(req) -> str | None:
    if req.status != "closed":
        return None
    return req.close_note or CLOSE_REASON_TEXT.get(req.close_reason or "", req.close_reason)


def requests_out(tenant: Tenant, requests: list, *, extensions: bool = False) -> list[dict]:
    """`requests` are rows of `search.request_rows()` (the public columns, `department_name`, `photo_key`).
    This runs for every row of every page the API serves: it reads each column once and calls little."""
    tz = ZoneInfo(tenant.timezone)
    photos = _photo_urls(requests) if extensions else None
    url_for_attachment = _attachment_url_function()
    out = []
    for req in requests:
        closed = req.status == "closed"
        updated = req.closed_at if closed and req.closed_at else req.updated_at
        due = req.due_at
        if photos is None:
            media_url = _first_photo(tenant, url_for_attachment, req)
        else:
            media_url = photos[req.id][0] if photos[req.id] else None
        out.append({
            "service_request_id": req.number,
            "status": "closed" if closed else "open",
            "status_notes": status_notes(req) if closed else None,
            "service_name": req.service_name,
            "service_code": req.service_code,
            "description": req.description or "",
            "agency_responsible": req.department_name,
            "service_notice": None,
            "requested_datetime": req.requested_at.astimezone(tz).isoformat(timespec="seconds"),
            "updated_datetime": updated.astimezone(tz).isoformat(timespec="seconds") if updated else None,
            "expected_datetime": due.astimezone(tz).isoformat(timespec="seconds") if due else None,
            "address": req.address,
            "address_id": req.address_id,
            "zipcode": req.zipcode,
            "lat": req.lat,
            "long": req.lng,
            "media_url": media_url,
        })
    if extensions and requests:
        _add_extensions(tenant, requests, out, photos)
    return out


def _add_extensions(tenant: Tenant, requests: list, out: list[dict],
                    photos: dict[uuid.UUID, list[str]]) -> None:
    tz = ZoneInfo(tenant.timezone)
    ids = [r.id for r in requests]
    zones = {z.id: z.name for z in db.session.scalars(select(Zone))}
    duplicate_ids = {r.duplicate_of_id for r in requests if r.duplicate_of_id}
    numbers = dict(db.session.execute(
        select(ServiceRequest.id, ServiceRequest.number).where(ServiceRequest.id.in_(duplicate_ids))
    ).all()) if duplicate_ids else {}
    events: dict[uuid.UUID, list[RequestEvent]] = {i: [] for i in ids}
    for event in db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id.in_(ids), RequestEvent.public.is_(True))
        .order_by(RequestEvent.at, RequestEvent.id)
    ):
        events[event.request_id].append(event)
    for req, row in zip(requests, out, strict=True):
        parent = next((e.data.get("parent_number") for e in events[req.id]
                       if isinstance(e.data, dict) and e.data.get("parent_number")), None)
        row["detailed_status"] = (req.detailed_status or ("closed" if req.status == "closed" else "open")).upper()
        row["extended_attributes"] = {
            "channel": req.channel,
            "zone": zones.get(req.zone_id) if req.zone_id else None,
            "duplicate": numbers.get(req.duplicate_of_id) if req.duplicate_of_id else None,
            "parent_service_request_id": parent,
            "photos": photos[req.id],
        }
        row["notes"] = [note(e, tz) for e in events[req.id]]


def note(event: RequestEvent, tz: ZoneInfo) -> dict:
    kind = NOTE_TYPES.get(event.kind, "activity")
    summaries = {
        "submitted": _("Request submitted"),
        "opened": _("Request opened") if event.kind != "reopened" else _("Request reopened"),
        "closed": _("Request closed"),
        "follow_on_created": _("Follow-on request created"),
    }
    summary = summaries.get(kind)
    if summary is None:
        summary = (_("Status changed to %(s)s", s=(event.detailed_status or event.to_status or "").replace("_", " "))
                   if event.kind == "status" else _("Update from the city"))
    return {"datetime": iso(event.at, tz), "summary": summary, "description": event.message or "", "type": kind}
