"""The report form's state between steps, and how it becomes an `IntakeSubmission`.

Each step is checked with intake's own rules (`intake.validate` on the draft so far), keeping only the
errors that belong to that step, so the resident sees exactly the messages intake would give, next to
the field they concern, in their language.
"""

from __future__ import annotations

from flask import session
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.db import db
from civic311.platform import geocoding, intake
from civic311.platform.intake import Contact, FieldError, IntakeError, IntakeSubmission, Location, PhotoUpload
from civic311.portal import service
from civic311.portal.models import ReportDraft
from civic311.tenants.catalog import Category
from civic311.tenants.models import Tenant

SESSION_KEY = "report_draft"
STEPS = ("category", "details", "location", "contact", "review")

# Which step (and which form field) each of intake's error fields belongs to.
ERROR_PLACES = {
    "service_code": ("category", "category"),
    "description": ("details", "description"),
    "location": ("location", "address"),
    "lat": ("location", "address"),
    "email": ("contact", "email"),
    "anonymous": ("contact", "anonymous"),
    "media": ("review", "photos"),
}


def place_of(error_field: str) -> tuple[str, str]:
    if error_field.startswith("attribute[") and error_field.endswith("]"):
        return "details", f"q_{error_field[len('attribute['):-1]}"
    return ERROR_PLACES.get(error_field, ("review", "photos"))


def current_draft() -> ReportDraft | None:
    return service.load_draft(session.get(SESSION_KEY))


def save(draft: ReportDraft | None, **changes) -> ReportDraft:
    draft = service.save_draft(draft, **changes)
    session[SESSION_KEY] = str(draft.id)
    return draft


def forget(draft: ReportDraft | None) -> None:
    service.discard_draft(draft)
    session.pop(SESSION_KEY, None)


def category_of(draft: ReportDraft | None) -> Category | None:
    """The draft's category while it is still offered on the portal (the city may switch it off meanwhile)."""
    category = _category_by_code((draft.data or {}).get("service_code") if draft else None)
    if category is None or (category.channels and "portal" not in category.channels):
        return None
    return category


def _category_by_code(code: str | None) -> Category | None:
    if not code:
        return None
    return db.session.scalar(select(Category).where(Category.service_code == code, Category.active.is_(True)))


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number


def point_of(data: dict) -> tuple[float | None, float | None, str | None]:
    """The report's point and where it came from: the resident's own pin or location ("pin"), else the
    place their typed address was found ("address"), else none."""
    lat, lng = _float(data.get("lat")), _float(data.get("lng"))
    if lat is not None and lng is not None:
        return lat, lng, "pin"
    found = data.get("geocoded") or {}
    # Only while the address is still the one that was looked up: an edited address is not that place.
    if found and geocoding.normalise_address(found.get("address")) == geocoding.normalise_address(data.get("address")):
        lat, lng = _float(found.get("lat")), _float(found.get("lng"))
        if lat is not None and lng is not None:
            return lat, lng, "address"
    return None, None, None


def locate_address(draft: ReportDraft, tenant: Tenant) -> ReportDraft:
    """Look the typed address up when there is no pin, so an address-only report still gets a point.

    Nothing is lost when the address is not found: the report files with the address alone."""
    data = draft.data or {}
    address = (data.get("address") or "").strip()
    if point_of(data)[2] is not None or not address:
        return draft
    place = geocoding.geocode(address, tenant)
    found = {"address": address, "lat": place.lat, "lng": place.lng, "source": place.source} if place else None
    return save(draft, geocoded=found)


def submission(data: dict, *, locale: str, resident_id=None, photos: list[PhotoUpload] | None = None
               ) -> IntakeSubmission:
    anonymous = bool(data.get("anonymous"))
    lat, lng, _source = point_of(data)
    return IntakeSubmission(
        service_code=data.get("service_code", ""),
        channel="portal",
        answers=dict(data.get("answers") or {}),
        description=data.get("description", ""),
        location=Location(lat=lat, lng=lng,
                          address=(data.get("address") or "").strip() or None),
        contact=Contact(name=data.get("name") or None, email=data.get("email") or None,
                        phone=data.get("phone") or None),
        anonymous=anonymous,
        photos=photos or [],
        locale=locale,
        resident_account_id=None if anonymous else resident_id,
    )


def _in_language(error: FieldError, category: Category | None, locale: str) -> str:
    """Intake names a missing answer's question as the catalog's default text; ask it in the resident's."""
    if error.code == "required" and error.field.startswith("attribute[") and category is not None:
        code = error.field[len("attribute["):-1]
        question = next((q for q in category.questions if q.code == code), None)
        if question is not None:
            return _("Answer this question: %(q)s", q=question.prompt(locale))
    return error.message


def step_errors(data: dict, step: str, *, locale: str) -> dict[str, list[str]]:
    """Intake's complaints about this step's fields (form field name -> messages)."""
    try:
        intake.validate(submission(data, locale=locale))
    except IntakeError as exc:
        category = _category_by_code(data.get("service_code"))
        found: dict[str, list[str]] = {}
        for error in exc.errors:
            where, field = place_of(error.field)
            if where == step:
                found.setdefault(field, []).append(_in_language(error, category, locale))
        return found
    return {}


def earlier_step_errors(data: dict, *, locale: str) -> dict[str, list[tuple[str, str]]]:
    """For the review page: every problem left in the earlier steps, by step."""
    try:
        intake.validate(submission(data, locale=locale))
    except IntakeError as exc:
        category = _category_by_code(data.get("service_code"))
        found: dict[str, list[tuple[str, str]]] = {}
        for error in exc.errors:
            where, field = place_of(error.field)
            if where != "review":
                found.setdefault(where, []).append((field, _in_language(error, category, locale)))
        return found
    return {}
