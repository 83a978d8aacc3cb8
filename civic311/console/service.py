"""Every console write: request actions (through the lifecycle only), bulk changes, saved views and
standard responses. Views call these and never commit."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from civic311 import audit
from civic311.accounts.access import CityAccess
from civic311.console import access as loaders
from civic311.console.models import SavedView, StandardResponse
from civic311.db import db
from civic311.platform import lifecycle
from civic311.platform.lifecycle import LifecycleError
from civic311.platform.models import CLOSE_REASONS, ServiceRequest
from civic311.tenants.models import Tenant

ACTIONS = ("acknowledge", "status", "assign", "close", "reopen", "reply", "note", "merge", "recategorize", "move")
BULK_ACTIONS = ("assign", "status")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ActionError(LifecycleError):
    """Input the action cannot use (an unknown assignee, a missing reason): shown next to the form."""


# --- standard responses ---------------------------------------------------------------------------

def placeholders(req: ServiceRequest, tenant: Tenant) -> dict[str, str]:
    expected = ""
    if req.due_at:
        expected = format_date(req.due_at.astimezone(ZoneInfo(tenant.timezone)), "long")
    return {
        "tracking_number": req.number,
        "expected_date": expected,
        "category": req.service_name,
        "city": tenant.title,
        "status": req.status.replace("_", " "),
        "address": req.address or "",
    }


def fill_response(body: str, req: ServiceRequest, tenant: Tenant) -> str:
    """Placeholders replaced by the request's values; unknown ones are left as typed, so a typo shows."""
    values = placeholders(req, tenant)
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def save_standard_response(row: StandardResponse | None, *, title: str, body: str, locale: str,
                           active: bool = True) -> StandardResponse:
    if row is None:
        row = StandardResponse(title=title.strip(), body=body.strip(), locale=locale, active=active)
        db.session.add(row)
    else:
        row.title, row.body, row.locale, row.active = title.strip(), body.strip(), locale, active
    db.session.flush()
    audit.record("standard_response.saved", target=row, details={"title": row.title})
    return row


def delete_standard_response(row: StandardResponse) -> None:
    audit.record("standard_response.deleted", target=row, details={"title": row.title})
    db.session.delete(row)
    db.session.flush()


def standard_responses(locale: str | None = None) -> list[StandardResponse]:
    stmt = select(StandardResponse).where(StandardResponse.active.is_(True)).order_by(StandardResponse.title)
    if locale:
        stmt = stmt.where(StandardResponse.locale == locale)
    return list(db.session.scalars(stmt))


# --- one request ------------------------------------------------------------------------------------

def _version(data: dict) -> int | None:
    raw = str(data.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


def perform(req: ServiceRequest, action: str, data: dict, access: CityAccess) -> None:
    """Run one console action on a request, through the lifecycle.

    Raises `lifecycle.ConcurrentChange` when `data["version"]` is stale, `LifecycleError` (or its
    `ActionError`) when the action is refused; the caller shows the message and keeps what was typed.
    """
    version = _version(data)
    message = str(data.get("message") or "").strip()
    if action == "acknowledge":
        lifecycle.acknowledge(req, version=version, message=message)
    elif action == "status":
        lifecycle.set_status(req, str(data.get("status") or ""), version=version, message=message)
    elif action == "assign":
        user_id, label = _assignee(data.get("assignee"), req)
        lifecycle.assign(req, user_id, version=version, label=label)
    elif action == "close":
        reason = str(data.get("reason") or "")
        if reason not in CLOSE_REASONS:
            raise ActionError(_("Choose a reason for closing."))
        duplicate_of = None
        if reason == "duplicate":
            duplicate_of = _other_request(data.get("into"), req, access)
        lifecycle.close(req, reason, version=version, note=message, duplicate_of=duplicate_of)
    elif action == "reopen":
        lifecycle.reopen(req, message, by_reporter=False, version=version)
    elif action == "reply":
        lifecycle.public_reply(req, message, version=version)
    elif action == "note":
        lifecycle.internal_note(req, message, version=version)
    elif action == "merge":
        lifecycle.merge(req, _other_request(data.get("into"), req, access), version=version)
    elif action == "recategorize":
        category = loaders.category(str(data.get("category_id") or ""))
        if category is None or not category.active:
            raise ActionError(_("Choose a category."))
        if category.id == req.category_id:
            raise ActionError(_("The request already has this category."))
        lifecycle.recategorize(req, category, version=version)
    elif action == "move":
        try:
            lat, lng = float(data.get("lat")), float(data.get("lng"))
        except (TypeError, ValueError):
            raise ActionError(_("Enter the latitude and longitude as numbers.")) from None
        lifecycle.move_pin(req, lat, lng, data.get("address"), version=version)
    else:
        raise ActionError(_("Unknown action."))


def _assignee(raw, req: ServiceRequest) -> tuple[uuid.UUID | None, str]:
    raw = str(raw or "").strip()
    if raw in ("", "none"):
        return None, _("unassigned")
    for user in loaders.assignable_staff(req.department_id):
        if str(user.id) == raw:
            return user.id, user.name
    raise ActionError(_("Choose someone who works on this department's requests."))


def _other_request(raw, req: ServiceRequest, access: CityAccess) -> ServiceRequest:
    number = str(raw or "").strip()
    other = loaders.visible_request(number, access) if number else None
    if other is None:
        raise ActionError(_("There is no request %(n)s in this city.", n=number or "?"))
    if other.id == req.id:
        raise ActionError(_("A request cannot be merged into itself."))
    return other


# --- many requests ------------------------------------------------------------------------------

@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (number or id, why)


def bulk_update(items: list[tuple[str, str]], action: str, value: str, access: CityAccess) -> BulkResult:
    """Assign or change the status of many requests. `items` are (request id, version shown) pairs;
    each request is changed only if it is still the version the person saw, the rest are reported."""
    if action not in BULK_ACTIONS:
        raise ActionError(_("Choose what to do with the selected requests."))
    result = BulkResult()
    for raw_id, version in items:
        req = loaders.request_by_id_for_staff(raw_id, access)
        if req is None:
            result.skipped.append((raw_id, _("not found")))
            continue
        data = {"version": version, "assignee": value, "status": value}
        try:
            with db.session.begin_nested():  # the savepoint's flush meets a concurrent commit here
                perform(req, action, data, access)
        except (LifecycleError, StaleDataError) as exc:
            db.session.refresh(req)
            message = str(exc) if isinstance(exc, LifecycleError) else _("someone else changed it first")
            result.skipped.append((req.number, message))
            continue
        result.done.append(req.number)
    return result


# --- saved views ---------------------------------------------------------------------------------

def save_view(user_id: uuid.UUID, name: str, filters: dict[str, str]) -> SavedView:
    name = name.strip()
    if not name:
        raise ActionError(_("Give the view a name."))
    view = db.session.scalar(select(SavedView).where(SavedView.user_id == user_id, SavedView.name == name))
    if view is None:
        view = SavedView(user_id=user_id, name=name)
        db.session.add(view)
    view.filters = dict(filters)
    db.session.flush()
    audit.record("saved_view.saved", target=view, details={"name": name, "filters": view.filters})
    return view


def delete_view(view: SavedView) -> None:
    audit.record("saved_view.deleted", target=view, details={"name": view.name})
    db.session.delete(view)
    db.session.flush()


def views_of(user_id: uuid.UUID) -> list[SavedView]:
    return list(db.session.scalars(select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name)))
