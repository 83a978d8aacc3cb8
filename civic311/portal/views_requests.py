"""A request's public page: where it stands, its history and photos; following it; the reporter's
reopen; and a link to the survey after closure (the survey page itself is the platform engine's)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from civic311.platform.models import ServiceRequest
from civic311.portal import public, service
from civic311.portal.blueprint import bp, locale, resident
from civic311.portal.branding import optional_module
from civic311.portal.forms import FollowForm, ReopenForm, SurveyStartForm


def _request_or_404(number: str) -> ServiceRequest:
    req = public.request_by_number(number)
    if req is None:
        abort(404)
    return req


def _photo_urls(req: ServiceRequest) -> list[str]:
    attachments = optional_module("civic311.platform.attachments")
    url_of = getattr(attachments, "attachment_url", None) if attachments else None
    if url_of is None:
        return []
    return [url_of(a) for a in req.attachments if a.public]


def _can_reopen(req: ServiceRequest, token: str | None) -> bool:
    return req.status == "closed" and service.is_reporter(req, resident(), token)


def _survey(req: ServiceRequest, token: str | None) -> service.ReporterSurvey | None:
    """The survey after closure, for the reporter only (proven by their signed link or account)."""
    if req.status != "closed" or not service.is_reporter(req, resident(), token):
        return None
    if not service.surveys_offered():  # the city's plan has no surveys (or the platform switched them off)
        return None
    return service.reporter_survey(req)


def _render(req: ServiceRequest, *, follow_form=None, reopen_form=None, status: int = 200):
    token = request.values.get("t") or request.values.get("token")
    reopen_form = reopen_form or ReopenForm(token=token)
    proof = token or reopen_form.token.data
    tz = ZoneInfo(g.tenant.timezone)
    return render_template(
        "portal/request.html", req=req, tz=tz,
        history=public.public_history(req), photos=_photo_urls(req), late=public.is_late(req),
        status_words=public.STATUS_WORDS, status_explained=public.STATUS_EXPLAINED,
        close_words=public.CLOSE_REASON_WORDS, event_words=public.EVENT_WORDS,
        follow_form=follow_form or FollowForm(email=resident().email if resident() else None), reopen_form=reopen_form,
        can_reopen=_can_reopen(req, proof), survey=_survey(req, proof), survey_form=SurveyStartForm(token=proof),
        category_label=req.category.label(locale()) if req.category else req.service_name,
    ), status


@bp.get("/requests/<number>")
def request_page(number: str):
    return _render(_request_or_404(number))


@bp.post("/requests/<number>/follow")
def request_follow(number: str):
    req = _request_or_404(number)
    form = FollowForm()
    if form.validate_on_submit():
        service.follow(req, form.email.data, locale())
        flash(_("Done: we will e-mail %(email)s when this request changes.", email=form.email.data.strip().lower()))
        return redirect(url_for("portal.request_page", number=req.number))
    return _render(req, follow_form=form, status=400)


@bp.post("/requests/<number>/reopen")
def request_reopen(number: str):
    req = _request_or_404(number)
    form = ReopenForm()
    if not _can_reopen(req, form.token.data):
        abort(404 if req.status != "closed" else 403)
    if form.validate_on_submit():
        try:
            service.reopen_by_reporter(req, form.reason.data)
        except service.PortalError as exc:
            form.reason.errors = list(form.reason.errors) + [exc.message]
        else:
            flash(_("Thank you. The request is open again and staff will look at it."))
            return redirect(url_for("portal.request_page", number=req.number, t=form.token.data or None))
    return _render(req, reopen_form=form, status=400)


@bp.post("/requests/<number>/survey")
def request_survey(number: str):
    """Open the survey for a reporter who left no e-mail, then take them to it."""
    req = _request_or_404(number)
    form = SurveyStartForm()
    if not form.validate_on_submit() or _survey(req, form.token.data) is None:
        abort(404 if req.status != "closed" else 403)
    try:
        token = service.open_reporter_survey(req)
    except service.PortalError as exc:
        flash(exc.message)
        return redirect(url_for("portal.request_page", number=req.number, t=form.token.data or None))
    return redirect(url_for("platform.survey", token=token))
