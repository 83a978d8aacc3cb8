"""Intake: the one path by which a request enters civic311, whatever the channel.

Portal, Open311 API, agent desk, e-mail, SMS and importers all build an `IntakeSubmission` and call
`file_request`. It validates against the category's questions, numbers the request, routes it, sets
its SLA, stores photos, and writes the request, its first history entry and its outbox rows in the
caller's transaction: nothing leaves the building until that transaction commits.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from civic311.actor import current_actor
from civic311.db import db, new_id, utcnow
from civic311.platform import catalog_cache, outbox, routing, sla
from civic311.platform.models import OPEN_STATUSES, Follower, RequestEvent, ServiceRequest, SubmissionToken
from civic311.platform.row_writer import insert_new
from civic311.tenancy import current_tenant_id
from civic311.tenants.catalog import Category, Question
from civic311.tenants.counters import next_value
from civic311.tenants.models import Tenant

MAX_DESCRIPTION = 4000
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Only what looks like a tag (`<` then a letter, `/` or `!`): "a < b and 3>2" is ordinary text.
TAG_RE = re.compile(r"<[A-Za-z/!][^>]*>")


@dataclass
class Location:
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lng is not None

    @property
    def given(self) -> bool:
        return self.has_point or bool(self.address) or bool(self.address_id)


@dataclass
class Contact:
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass
class PhotoUpload:
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class IntakeSubmission:
    service_code: str
    channel: str
    answers: dict[str, str | list[str]] = field(default_factory=dict)
    description: str = ""
    location: Location = field(default_factory=Location)
    contact: Contact = field(default_factory=Contact)
    anonymous: bool = False
    photos: list[PhotoUpload] = field(default_factory=list)
    media_urls: list[str] = field(default_factory=list)
    locale: str = "en"
    device_id: str | None = None
    external_account_id: str | None = None
    resident_account_id: object | None = None
    requested_at: datetime | None = None  # importers keep the original time
    external_id: str | None = None
    notify: bool = True  # importers do not e-mail residents about old requests


@dataclass
class FieldError:
    field: str
    code: str
    message: str


class IntakeError(ValueError):
    """Refused input. `not_found` marks an unknown service (the API answers 404 for it)."""

    def __init__(self, errors: list[FieldError], not_found: bool = False):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
        self.not_found = not_found

    def for_field(self, name: str) -> list[str]:
        return [e.message for e in self.errors if e.field == name]


@dataclass
class IntakeResult:
    request: ServiceRequest
    category: Category  # the category it was filed under (its notice, its SLA text)
    token: str | None = None


# --- finding the category and checking answers ---------------------------------------------------

def category_for(service_code: str, channel: str | None = None) -> Category:
    code = (service_code or "").strip()
    if not code:
        raise IntakeError([FieldError("service_code", "missing", _("Choose the kind of problem."))])
    # From the per-process catalog cache: no query when the city's catalog has not changed.
    category = catalog_cache.current().category(code)
    if category is None or not _department_live(category):
        raise IntakeError(
            [FieldError("service_code", "unknown", _("There is no service with code %(code)s.", code=code))],
            not_found=True,
        )
    _check_city_channel(channel)
    if channel and channel not in ("import",) and category.channels and channel not in category.channels:
        raise IntakeError(
            [FieldError("service_code", "channel", _("This service is not offered through this channel."))]
        )
    return category


# The city-wide switches of the settings' channels page: which switch governs which intake channel.
CITY_SWITCH_OF_CHANNEL = {"portal": "portal", "phone": "agent", "walk_in": "agent", "email": "agent"}


def _check_city_channel(channel: str | None) -> None:
    switch = CITY_SWITCH_OF_CHANNEL.get(channel or "")
    if switch is None:
        return
    city = db.session.get(Tenant, current_tenant_id())
    if city is None or (city.channels or {}).get(switch, True):
        return
    if switch == "portal":
        contact = city.phone or city.contact_email
        message = (_("This city does not take reports online. Contact it at %(contact)s.", contact=contact)
                   if contact else _("This city does not take reports online."))
    else:
        message = _("This city's agent desk is turned off: requests cannot be filed here.")
    raise IntakeError([FieldError("service_code", "channel_off", message)])


def _department_live(category: Category) -> bool:
    if category.department_id is None:
        return True
    # Through the relationship: the category then holds the department, so routing and SLA find it in
    # the identity map (weakly referenced) instead of querying it again.
    department = category.department
    return department is None or department.enabled


def clean_answers(category: Category, raw: dict[str, str | list[str]],
                  require: bool = True) -> tuple[list[dict], list[FieldError]]:
    """Answers checked against the category's questions, as a snapshot that never changes later.

    `require=False` (imports: historical data predates the questions) lets required questions go
    unanswered; answers given are still checked."""
    errors: list[FieldError] = []
    cleaned: list[dict] = []
    for question in category.questions:
        if not question.variable:
            continue
        value = raw.get(question.code)
        values = [v.strip() for v in (value if isinstance(value, list) else [value]) if v and str(v).strip()]
        field_name = f"attribute[{question.code}]"
        if not values:
            if question.required and require:
                errors.append(FieldError(field_name, "required",
                                         _("Answer this question: %(q)s", q=question.description)))
            continue
        answer, problem = _check_value(question, values)
        if problem:
            errors.append(FieldError(field_name, "invalid", problem))
            continue
        cleaned.append(answer)
    return cleaned, errors


def _check_value(question: Question, values: list[str]) -> tuple[dict, str | None]:
    answer = {"code": question.code, "question": question.description, "datatype": question.datatype}
    if question.datatype in ("singlevaluelist", "multivaluelist"):
        allowed = {str(v["key"]): v.get("name", v["key"]) for v in question.values}
        if question.datatype == "singlevaluelist" and len(values) > 1:
            return answer, _("Choose only one answer.")
        wrong = [v for v in values if v not in allowed]
        if wrong:
            return answer, _("%(value)s is not one of the choices.", value=wrong[0])
        if question.datatype == "singlevaluelist":
            answer.update(value=values[0], label=allowed[values[0]])
        else:
            answer.update(value=values, label=", ".join(allowed[v] for v in values))
        return answer, None
    value = values[0]
    if question.datatype == "number":
        try:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
        except ValueError:
            return answer, _("Enter a number.")
        answer.update(value=value, label=value)
        return answer, None
    if question.datatype == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return answer, _("Enter a date and time, like 2026-05-01T14:30.")
        answer.update(value=value, label=value)
        return answer, None
    limit = 4000 if question.datatype == "text" else 500
    if len(value) > limit:
        return answer, _("Use at most %(n)s characters.", n=limit)
    answer.update(value=value, label=value)
    return answer, None


def validate(sub: IntakeSubmission) -> tuple[Category, list[dict]]:
    """Everything a submission must satisfy, all errors at once."""
    category = category_for(sub.service_code, sub.channel)
    answers, errors = clean_answers(category, sub.answers, require=sub.channel != "import")
    description = sub.description or ""
    if len(description) > MAX_DESCRIPTION:
        errors.append(FieldError("description", "too_long",
                                 _("Use at most %(n)s characters.", n=MAX_DESCRIPTION)))
    elif TAG_RE.search(description):
        errors.append(FieldError("description", "html", _("Remove the HTML tags from the description.")))
    loc = sub.location
    if loc.has_point and not (-90 <= loc.lat <= 90 and -180 <= loc.lng <= 180):
        errors.append(FieldError("lat", "invalid", _("That map position is not valid.")))
    if category.location_required and not loc.given:
        errors.append(FieldError("location", "required",
                                 _("Tell us where: place a pin on the map or type an address.")))
    if category.photo_required and not (sub.photos or sub.media_urls):
        errors.append(FieldError("media", "required", _("Add a photo of the problem.")))
    contact = sub.contact
    if contact.email and not EMAIL_RE.match(contact.email.strip()):
        errors.append(FieldError("email", "invalid", _("Enter an e-mail address like name@example.com.")))
    if sub.anonymous and not category.anonymous_allowed:
        errors.append(FieldError("anonymous", "not_allowed",
                                 _("This kind of problem cannot be reported anonymously.")))
    if not sub.anonymous and category.contact_required and not (contact.email or contact.phone):
        errors.append(FieldError("email", "required", _("Give an e-mail address or a phone number.")))
    if errors:
        raise IntakeError(errors)
    return category, answers


# --- duplicates ---------------------------------------------------------------------------------

def find_duplicates(category: Category, lat: float | None, lng: float | None, *, tenant: Tenant,
                    limit: int = 5) -> list[ServiceRequest]:
    """Open requests of the same category within the city's radius, filed recently, nearest first."""
    if lat is None or lng is None:
        return []
    radius = tenant.duplicate_radius_m
    dlat = radius / 111_320
    dlng = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    since = utcnow() - timedelta(days=tenant.duplicate_window_days)
    rows = db.session.scalars(
        select(ServiceRequest).where(
            ServiceRequest.category_id == category.id,
            ServiceRequest.status.in_(OPEN_STATUSES),
            ServiceRequest.requested_at >= since,
            ServiceRequest.lat.between(lat - dlat, lat + dlat),
            ServiceRequest.lng.between(lng - dlng, lng + dlng),
        )
    ).all()
    near = [(distance_m(lat, lng, r.lat, r.lng), r) for r in rows]
    return [r for d, r in sorted(near, key=lambda x: x[0]) if d <= radius][:limit]


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


# --- filing -------------------------------------------------------------------------------------

def tracking_number(tenant: Tenant, at: datetime) -> tuple[str, int]:
    sequence = next_value("request_number")
    year = at.astimezone(ZoneInfo(tenant.timezone)).strftime("%y")
    return f"{tenant.tracking_prefix}-{year}-{sequence:06d}", sequence


def file_request(sub: IntakeSubmission) -> IntakeResult:
    """Validate, number, route, time and store one request, with its history and outbox rows.

    The catalog comes from the per-process cache (one version check per transaction); ids are made
    here rather than by a flush, so the request, its history entry, follower, outbox row and token are
    inserted together without the unit of work (`row_writer.insert_new`: one statement on PostgreSQL);
    photos follow, as ordinary model objects."""
    tenant = db.session.get(Tenant, current_tenant_id())
    catalog = catalog_cache.current()
    category, answers = validate(sub)
    now = utcnow()
    requested_at = sub.requested_at or now
    loc, contact = sub.location, sub.contact
    decision = routing.route(
        tenant,
        routing.RoutingInput(category, sub.channel, sub.description, loc.lat, loc.lng, requested_at),
    )
    department = catalog.department(decision.department_id)
    due_at, at_risk_at = sla.due_dates(tenant, department, requested_at, decision.sla_value, decision.sla_unit)
    number, sequence = tracking_number(tenant, requested_at)
    actor = current_actor()
    anonymous = sub.anonymous or not (contact.email or contact.phone or contact.name)
    # A resident who chose anonymity must not be named anywhere, history included (staff read it, the
    # audit log and exports copy it); staff filing for a caller are named as themselves.
    actor_label = actor.label if actor.is_staff or not sub.anonymous else "anonymous resident"
    req = ServiceRequest(
        id=new_id(),
        number=number,
        sequence=sequence,
        category_id=category.id,
        service_code=category.service_code,
        service_name=category.name,
        answers=answers,
        description=(sub.description or "").strip(),
        channel=sub.channel,
        priority=decision.priority,
        tags=decision.tags,
        lat=loc.lat, lng=loc.lng,
        address=(loc.address or "").strip() or None,
        address_id=loc.address_id, zipcode=loc.zipcode,
        zone_id=decision.zone_id,
        anonymous=sub.anonymous,
        reporter_name=None if sub.anonymous else (contact.name or None),
        reporter_email=None if sub.anonymous else ((contact.email or "").strip().lower() or None),
        reporter_phone=None if sub.anonymous else (contact.phone or None),
        reporter_locale=sub.locale,
        resident_account_id=None if sub.anonymous else sub.resident_account_id,
        device_id=sub.device_id,
        external_account_id=sub.external_account_id,
        external_id=sub.external_id,
        media_urls=list(sub.media_urls),
        department_id=decision.department_id,
        routing_rule_id=decision.rule_id,
        routing_explanation=decision.explanation,
        created_by_user_id=actor.user_id,
        operator_org_id=actor.operator_org_id,
        requested_at=requested_at,
        updated_at=requested_at,
        due_at=due_at,
        at_risk_at=at_risk_at,
        sla_state=sla.state_of(due_at, at_risk_at, None, now),
    )
    event = RequestEvent(
        id=new_id(), request_id=req.id, at=requested_at, kind="submitted", public=True,
        actor_user_id=actor.user_id, actor_label=actor_label, operator_org_id=actor.operator_org_id,
        channel=sub.channel, to_status="new",
        message="", data={"routing": decision.explanation, "anonymous": anonymous},
    )
    rows = [req, event]
    if req.reporter_email or req.reporter_phone:
        rows.append(Follower(request_id=req.id, email=req.reporter_email, phone=req.reporter_phone,
                             locale=sub.locale, is_reporter=True))
    if sub.notify and not anonymous:
        rows.append(outbox.new_message(
            "notify", {"request_id": str(req.id), "event_id": str(event.id), "template": "received"},
            dedupe_key=f"notify:{event.id}"))
    token = None
    if category.service_type == "batch":
        token = secrets.token_urlsafe(12)
        rows.append(SubmissionToken(token=token, request_id=req.id))
    insert_new(*rows)
    if sub.photos:
        from civic311.platform.attachments import store_photos

        store_photos(req, sub.photos)
        db.session.flush()
    return IntakeResult(req, category, token)
