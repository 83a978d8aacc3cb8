"""What residents may see of a city's requests: the same public fields the Open311 API serves, never
who reported them, plus the words a resident understands for each status."""

from __future__ import annotations

import math
import unicodedata
import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic311.db import db, utcnow
from civic311.platform.models import OPEN_STATUSES, RequestEvent, ServiceRequest
from civic311.tenants.catalog import Category, CategoryGroup, Zone

STATUS_WORDS = {
    "new": _l("Received"),
    "acknowledged": _l("Seen by the city"),
    "in_progress": _l("Being worked on"),
    "closed": _l("Closed"),
}
STATUS_EXPLAINED = {
    "new": _l("We have your report. A member of staff will look at it soon."),
    "acknowledged": _l("Staff have looked at your report and it is waiting for a crew."),
    "in_progress": _l("A crew or a member of staff is working on it."),
    "closed": _l("The city has finished with this request."),
}
CLOSE_REASON_WORDS = {
    "resolved": _l("Fixed"),
    "duplicate": _l("Already reported by someone else"),
    "referred": _l("Passed to the organisation responsible"),
    "not_actionable": _l("No action could be taken"),
    "no_access": _l("Crews could not get to the location"),
    "withdrawn": _l("Withdrawn"),
}
EVENT_WORDS = {
    "submitted": _l("Report received"),
    "acknowledged": _l("Seen by the city"),
    "status": _l("Status changed"),
    "public_reply": _l("Message from the city"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
}
PUBLIC_EVENT_KINDS = tuple(EVENT_WORDS)


def request_by_number(number: str) -> ServiceRequest | None:
    number = (number or "").strip().upper()
    if not number:
        return None
    return db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))


def public_history(req: ServiceRequest) -> list[RequestEvent]:
    return [e for e in req.history if e.public and e.kind in PUBLIC_EVENT_KINDS]


def is_late(req: ServiceRequest) -> bool:
    if req.due_at is None:
        return False
    if req.status == "closed":
        return bool(req.closed_at and req.closed_at > req.due_at)
    return utcnow() > req.due_at


@dataclass
class Filters:
    category: str = ""
    status: str = ""
    zone: str = ""


def catalog_for_portal() -> list[tuple[CategoryGroup | None, list[Category]]]:
    """Active categories offered on the portal, by group, in the city's order."""
    categories = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.name)
    ).all()
    categories = [c for c in categories if not c.channels or "portal" in c.channels]
    groups = {g.id: g for g in db.session.scalars(select(CategoryGroup).order_by(CategoryGroup.position))}
    by_group: dict[uuid.UUID | None, list[Category]] = {}
    for category in categories:
        by_group.setdefault(category.group_id if category.group_id in groups else None, []).append(category)
    ordered = [(groups[gid], by_group[gid]) for gid in groups if gid in by_group]
    if None in by_group:
        ordered.append((None, by_group[None]))
    return ordered


def fold(text: str) -> str:
    """Lower case without accents, so "caido" finds "Cable caído"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def search_text(category: Category) -> str:
    """Everything a resident might type to find the category: names in every language, description, keywords."""
    return fold(" ".join([category.name, category.description or "", *(category.name_i18n or {}).values(),
                          *(category.description_i18n or {}).values(), *[str(k) for k in (category.keywords or [])]]))


def matches(category: Category, text: str, locale: str) -> bool:
    """Does every typed word appear in the category's search text?"""
    haystack = search_text(category)
    return all(word in haystack for word in fold(text).split())


def zones() -> list[Zone]:
    return list(db.session.scalars(select(Zone).order_by(Zone.name)))


def recent_requests(filters: Filters | None = None, *, limit: int = 50) -> list[ServiceRequest]:
    """The requests Open311's GET /requests serves for the same filters (the last 90 days, duplicates
    included, newest first), so the portal's list and the API never disagree."""
    from civic311.open311.search import DEFAULT_WINDOW

    filters = filters or Filters()
    query = select(ServiceRequest).where(ServiceRequest.requested_at >= utcnow() - DEFAULT_WINDOW)
    if filters.category:
        query = query.where(ServiceRequest.service_code == filters.category)
    if filters.status == "open":
        query = query.where(ServiceRequest.status.in_(OPEN_STATUSES))
    elif filters.status == "closed":
        query = query.where(ServiceRequest.status == "closed")
    if filters.zone:
        try:
            query = query.where(ServiceRequest.zone_id == uuid.UUID(filters.zone))
        except ValueError:
            return []
    query = query.order_by(ServiceRequest.requested_at.desc(), ServiceRequest.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def near(lat: float, lng: float, *, radius_m: int = 1500, limit: int = 10) -> list[tuple[float, ServiceRequest]]:
    """Recent requests around a point, nearest first (a box query, then exact distances)."""
    from civic311.platform.intake import distance_m

    dlat = radius_m / 111_320
    dlng = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    rows = db.session.scalars(
        select(ServiceRequest).where(
            ServiceRequest.lat.between(lat - dlat, lat + dlat), ServiceRequest.lng.between(lng - dlng, lng + dlng)
        ).order_by(ServiceRequest.requested_at.desc()).limit(200)
    ).all()
    found = sorted(((distance_m(lat, lng, r.lat, r.lng), r) for r in rows), key=lambda x: x[0])
    return [(d, r) for d, r in found if d <= radius_m][:limit]


def as_public_dict(req: ServiceRequest, locale: str) -> dict:
    """One request as the public list and map show it (Open311 fields; no reporter details)."""
    return {
        "service_request_id": req.number,
        "service_code": req.service_code,
        "service_name": req.category.label(locale) if req.category else req.service_name,
        "status": "closed" if req.status == "closed" else "open",
        "status_words": str(STATUS_WORDS.get(req.status, req.status)),
        "address": req.address,
        "lat": req.lat,
        "long": req.lng,
        "requested_datetime": req.requested_at.isoformat(),
    }
