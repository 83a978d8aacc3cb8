"""Every write the portal makes: resident accounts, drafts, deflections, follows, reopen.

New requests go only through `intake.file_request` and changes of a request only through `lifecycle`;
these functions prove who the resident is and hand over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from civic311.accounts.models import ResidentAccount
from civic311.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from civic311.db import db, utcnow
from civic311.platform import lifecycle
from civic311.platform.models import RequestEvent, ServiceRequest, SurveyResponse
from civic311.portal.models import Announcement, Deflection, ReportDraft

REPORTER_SALT = "civic311.portal.reporter"
REPORTER_LINK_DAYS = 120


class PortalError(ValueError):
    """Refused input, with the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- resident accounts --------------------------------------------------------------------------

def find_account(email: str) -> ResidentAccount | None:
    return db.session.scalar(select(ResidentAccount).where(func.lower(ResidentAccount.email) == email.strip().lower()))


def sign_up(email: str, password: str, *, name: str | None = None, locale: str = "en") -> ResidentAccount:
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PortalError("password", _("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    if find_account(email):
        raise PortalError("email", _("There is already an account with this e-mail. Sign in instead."))
    account = ResidentAccount(email=email, name=(name or "").strip() or None, password_hash=hash_password(password),
                              locale=locale)
    db.session.add(account)
    db.session.flush()
    return account


def authenticate(email: str, password: str) -> ResidentAccount | None:
    account = find_account(email)
    if account is None or not verify_password(account.password_hash, password):
        return None
    return account


def update_preferences(account: ResidentAccount, *, name: str | None, phone: str | None, locale: str,
                       notify_email: bool, notify_sms: bool) -> ResidentAccount:
    account.name = (name or "").strip() or None
    account.phone = (phone or "").strip() or None
    account.locale = locale
    account.notify_email = notify_email
    account.notify_sms = notify_sms and bool(account.phone)
    db.session.flush()
    return account


# --- report drafts ------------------------------------------------------------------------------

def load_draft(draft_id: str | None) -> ReportDraft | None:
    if not draft_id:
        return None
    try:
        ident = uuid.UUID(str(draft_id))
    except ValueError:
        return None
    return db.session.scalar(select(ReportDraft).where(ReportDraft.id == ident))


def save_draft(draft: ReportDraft | None, **changes) -> ReportDraft:
    """Merge a step's answers into the draft (a new draft when there is none)."""
    if draft is None:
        draft = ReportDraft(data={})
        db.session.add(draft)
    data = dict(draft.data or {})
    data.update(changes)
    draft.data = data
    draft.updated_at = utcnow()
    db.session.flush()
    return draft


def discard_draft(draft: ReportDraft | None) -> None:
    if draft is not None:
        db.session.delete(draft)


# --- self-service deflection --------------------------------------------------------------------

def record_deflection(category_id: uuid.UUID | None, article_id: str | None, locale: str) -> Deflection:
    """Count a resident who stopped before reporting (and the knowledge-base answer that helped)."""
    deflection = Deflection(category_id=category_id, article_id=(article_id or None), locale=locale)
    db.session.add(deflection)
    db.session.flush()
    if article_id:
        _count_helpful_article(article_id)
    return deflection


def _count_helpful_article(article_id: str) -> None:
    from civic311.portal.branding import optional_module

    kb_models, kb_service = optional_module("civic311.kb.models"), optional_module("civic311.kb.service")
    if kb_models is None or kb_service is None:
        return
    try:
        ident = uuid.UUID(article_id)
    except ValueError:
        return
    article = db.session.scalar(select(kb_models.KbArticle).where(kb_models.KbArticle.id == ident))
    if article is not None:
        kb_service.mark_helpful(article)


def deflection_counts() -> dict[tuple[uuid.UUID | None, str | None], int]:
    rows = db.session.execute(
        select(Deflection.category_id, Deflection.article_id, func.count()).group_by(Deflection.category_id,
                                                                                   Deflection.article_id)
    ).all()
    return {(c, a): n for c, a, n in rows}


def deflections_per_day(first_day: date, last_day: date, *, timezone: str
                        ) -> dict[tuple[date, uuid.UUID | None], int]:
    """The current city's self-service deflections per local day and category, `first_day` to
    `last_day` inclusive, days counted in the city's `timezone`. Each `Deflection` row (tenant-owned,
    so row-level security keeps every city to its own) is one resident who stopped at an answer."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(first_day, time(0), zone).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(0), zone).astimezone(UTC)
    rows = db.session.execute(
        select(Deflection.created_at, Deflection.category_id)
        .where(Deflection.created_at >= start, Deflection.created_at < end)
    ).all()
    counts: dict[tuple[date, uuid.UUID | None], int] = {}
    for created_at, category_id in rows:
        key = (created_at.astimezone(zone).date(), category_id)
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- announcements ------------------------------------------------------------------------------

def live_announcements(now: datetime | None = None) -> list[Announcement]:
    now = now or utcnow()
    rows = db.session.scalars(
        select(Announcement).where(Announcement.starts_at <= now).order_by(Announcement.position,
                                                                          Announcement.starts_at.desc())
    ).all()
    return [a for a in rows if a.ends_at is None or a.ends_at > now]


def add_announcement(title: dict[str, str], body: dict[str, str], *, starts_at: datetime | None = None,
                     ends_at: datetime | None = None, position: int = 0) -> Announcement:
    announcement = Announcement(title_i18n=title, body_i18n=body, starts_at=starts_at or utcnow(), ends_at=ends_at,
                                position=position)
    db.session.add(announcement)
    db.session.flush()
    return announcement


# --- the reporter's proof: a signed link, or the resident account that filed it -----------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=REPORTER_SALT)


def reporter_token(req: ServiceRequest) -> str:
    """The token in the reporter's e-mails that proves they filed the request."""
    return _serializer().dumps({"t": str(req.tenant_id), "r": str(req.id)})


def reporter_url(req: ServiceRequest) -> str:
    """The request page's address with the reporter's proof, for the e-mails sent to the reporter."""
    from civic311.tenants.models import Tenant
    from civic311.web.hosts import tenant_url

    tenant = db.session.get(Tenant, req.tenant_id)
    return tenant_url(tenant, f"/requests/{req.number}?t={reporter_token(req)}")


def token_is_for(req: ServiceRequest, token: str | None) -> bool:
    if not token:
        return False
    try:
        data = _serializer().loads(token, max_age=REPORTER_LINK_DAYS * 86400)
    except BadSignature:
        return False
    return data == {"t": str(req.tenant_id), "r": str(req.id)}


def is_reporter(req: ServiceRequest, account: object | None, token: str | None) -> bool:
    if token_is_for(req, token):
        return True
    return (isinstance(account, ResidentAccount) and req.resident_account_id is not None
            and req.resident_account_id == account.id and not req.anonymous)


@dataclass
class ReporterSurvey:
    """The survey after closure as its reporter sees it on the request page."""

    token: str | None = None  # opens the survey page, while the survey is open and not answered
    answered: bool = False
    score: int | None = None


def reporter_survey(req: ServiceRequest) -> ReporterSurvey:
    """Where the reporter of a closed request rates the service (the caller has proven who they are)."""
    from civic311.platform import surveys

    survey = db.session.scalar(select(SurveyResponse).where(SurveyResponse.request_id == req.id))
    if survey is None:
        return ReporterSurvey()
    if survey.answered_at is not None:
        return ReporterSurvey(answered=True, score=survey.score)
    token = surveys.survey_token(req)
    return ReporterSurvey(token=token)


def surveys_offered() -> bool:
    from civic311.platform import surveys

    return surveys.offered()


def open_reporter_survey(req: ServiceRequest) -> str:
    """Open the survey for a reporter who left no e-mail (closure opens it only for e-mail reporters);
    returns the token that opens its page."""
    from civic311.platform import surveys

    if req.status != "closed":
        raise PortalError("survey", _("Only a closed request can be rated."))
    if not surveys.offered():
        raise PortalError("survey", _("This city does not ask for ratings."))
    surveys.open_survey(req)
    token = surveys.survey_token(req)
    if token is None:
        raise PortalError("survey", _("You have already rated this service. Thank you."))
    return token


def reopen_by_reporter(req: ServiceRequest, reason: str, *, version: int | None = None) -> RequestEvent:
    try:
        return lifecycle.reopen(req, reason, by_reporter=True, version=version, channel="portal")
    except lifecycle.LifecycleError as exc:
        raise PortalError("reason", str(exc)) from exc


def follow(req: ServiceRequest, email: str, locale: str):
    return lifecycle.follow(req, email, locale)
