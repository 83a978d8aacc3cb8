"""The survey after closure: one per request, reached by a token only the reporter's e-mail carries.

The token is derived (HMAC of the app secret and the survey's id), so the e-mail job can put it in
the link while the database keeps only its SHA-256: a leaked table does not open anyone's survey.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.billing.entitlements import has_feature
from civic311.db import db, utcnow
from civic311.platform.intake import FieldError, IntakeError
from civic311.platform.models import ServiceRequest, SurveyResponse
from civic311.tenancy import current_tenant_id
from civic311.tenants.models import Tenant

MAX_COMMENT = 2000


class SurveyError(IntakeError):
    """A refused answer, with errors per field like intake's (score, comment, token)."""


def _token_for(survey: SurveyResponse) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(secret, f"survey:{survey.tenant_id}:{survey.id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def offered() -> bool:
    """Whether the current city asks its reporters to rate the service (a feature of its plan)."""
    city = db.session.get(Tenant, current_tenant_id())
    return city is not None and has_feature(city, "surveys")


def open_survey(req: ServiceRequest) -> SurveyResponse:
    """The request's survey, created on first closure (a reopened and re-closed request keeps it)."""
    survey = db.session.scalar(select(SurveyResponse).where(SurveyResponse.request_id == req.id))
    if survey is None:
        survey = SurveyResponse(request_id=req.id, token_hash="pending")
        db.session.add(survey)
        db.session.flush()  # the id (and the tenant stamp) the token is derived from
        survey.token_hash = _hash(_token_for(survey))
        db.session.flush()
    return survey


def survey_token(req: ServiceRequest) -> str | None:
    """The raw token for the request's open survey, or None when there is none or it was answered."""
    survey = db.session.scalar(select(SurveyResponse).where(SurveyResponse.request_id == req.id))
    if survey is None or survey.answered_at is not None:
        return None
    return _token_for(survey)


def survey_link(tenant: Tenant, req: ServiceRequest) -> str | None:
    from civic311.tenants.urls import tenant_url

    token = survey_token(req)
    return tenant_url(tenant, f"/survey/{token}") if token else None


def survey_for_token(token: str) -> SurveyResponse | None:
    """The survey of the current city this token opens (None for a wrong or another city's token)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(SurveyResponse).where(SurveyResponse.token_hash == _hash(token)))


def answer_survey(token: str, score: int | str | None, comment: str = "") -> SurveyResponse:
    """Record the resident's 1–5 score and comment. Answering again replaces the first answer."""
    survey = survey_for_token(token)
    if survey is None:
        raise SurveyError([FieldError("token", "unknown", _("This survey link is not valid."))], not_found=True)
    errors: list[FieldError] = []
    try:
        value = int(str(score).strip())
        if not 1 <= value <= 5:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(FieldError("score", "invalid", _("Choose a score from 1 (poor) to 5 (excellent).")))
        value = 0
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors.append(FieldError("comment", "too_long", _("Use at most %(n)s characters.", n=MAX_COMMENT)))
    if errors:
        raise SurveyError(errors)
    survey.score = value
    survey.comment = comment or None
    survey.answered_at = utcnow()
    db.session.flush()
    return survey
