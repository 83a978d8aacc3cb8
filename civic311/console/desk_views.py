"""The agent desk under /t/<slug>/desk: knowledge base, information-only contacts, filing for a caller."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from civic311.console import access as loaders
from civic311.console import desk
from civic311.console.desk_forms import (
    CHANNEL_CHOICES,
    ContactForm,
    JoinForm,
    intake_form_class,
    question_field_name,
)
from civic311.console.layout import operator_contract
from civic311.console.models import AGENT_CHANNELS
from civic311.db import db
from civic311.kb.models import KbArticle
from civic311.kb.search import search_articles
from civic311.platform import intake
from civic311.tenants.catalog import Category
from civic311.web.city import city_blueprint, current_access, require_role

bp = city_blueprint("desk", __name__, "/desk")

# Where intake reports a problem -> the desk form's field that shows it.
ERROR_FIELDS = {"description": "description", "location": "address", "lat": "lat", "email": "email",
                "anonymous": "anonymous"}


def _channel() -> str:
    channel = request.values.get("channel", "phone")
    return channel if channel in AGENT_CHANNELS else "phone"


def _caller() -> dict[str, str]:
    return {"phone": (request.values.get("phone") or "").strip()[:40],
            "email": (request.values.get("email") or "").strip()[:254]}


def _common(channel: str) -> dict:
    return {"channel": channel, "channel_choices": CHANNEL_CHOICES, "contract": operator_contract(current_user)}


def _answers(channel: str, caller: dict[str, str]) -> dict:
    """The knowledge-base search the desk page and its live results share."""
    # Not "lang": that one switches the agent's own screens to the language (see web/i18n.py).
    locale = request.args.get("answers_in") if request.args.get("answers_in") in ("en", "es") else "en"
    query = (request.args.get("q") or "").strip()[:200]
    return {"query": query, "locale": locale, "caller": caller,
            "articles": search_articles(query, locale, limit=8) if query else [],
            "contact_form": ContactForm(formdata=None, channel=channel, caller_phone=caller["phone"],
                                        caller_email=caller["email"])}


@bp.get("/")
@require_role("agent")
def index():
    channel, caller = _channel(), _caller()
    history = desk.caller_history(caller["phone"], caller["email"])
    # Every category an agent can file, each with its channels: the page shows those of the chosen
    # channel, and desk-search.js switches the list when the agent picks another channel.
    categories = [(c, desk.channels_of(c)) for c in desk.desk_categories(None)]
    return render_template("console/desk.html", history=history, categories=categories,
                           offered_here=any(channel in channels for _c, channels in categories),
                           desk_open=desk.desk_is_open(current_access().tenant),
                           **_answers(channel, caller), **_common(channel))


@bp.get("/answers")
@require_role("agent")
def answers():
    """Just the answers, for the desk's as-you-type search (desk-search.js); the same markup as the page."""
    channel = _channel()
    response = make_response(render_template("console/_desk_answers.html", **_answers(channel, _caller()),
                                             channel=channel))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/contact")
@require_role("agent")
def record_contact():
    form = ContactForm()
    if not form.validate_on_submit():
        flash(_("Check the caller's details: %(e)s", e="; ".join(str(m) for errs in form.errors.values()
                                                                for m in errs)), "error")
        return redirect(url_for(".index", channel=form.channel.data or "phone"))
    try:
        contact = desk.record_contact(form.channel.data, note=form.note.data or "",
                                      kb_article_id=form.kb_article_id.data or None,
                                      caller_phone=form.caller_phone.data or "",
                                      caller_email=form.caller_email.data or "")
    except desk.DeskError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index", channel=form.channel.data, phone=form.caller_phone.data or "",
                                email=form.caller_email.data or ""))
    flash(_("Contact recorded (%(channel)s). Ready for the next caller.", channel=contact.channel.replace("_", " ")))
    return redirect(url_for(".index", channel=contact.channel))


def _category_or_404(service_code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.service_code == service_code,
                                                        Category.active.is_(True)))
    if category is None:
        abort(404)
    return category


def _not_offered(category: Category, channel: str) -> str | None:
    """Why intake would refuse this category on this channel, before the agent asks any question."""
    if not desk.desk_is_open(current_access().tenant):
        return _("This city's agent desk is turned off: requests cannot be filed here.")
    if category.id not in {c.id for c in desk.desk_categories(channel)}:
        names = {"phone": _("phone"), "walk_in": _("walk-in"), "email": _("e-mail")}
        return _("“%(category)s” is not offered on the %(channel)s channel in this city.", category=category.name,
                 channel=names[channel])
    return None


def _submission(form, category: Category, channel: str) -> intake.IntakeSubmission:
    answers = {}
    for question in category.questions:
        field = getattr(form, question_field_name(question), None)
        if field is not None and field.data not in (None, "", []):
            answers[question.code] = field.data
    lat = lng = None
    problems = []
    try:
        lat = float(form.lat.data) if form.lat.data else None
        lng = float(form.lng.data) if form.lng.data else None
    except ValueError:
        problems.append(intake.FieldError("lat", "invalid", _("Enter the latitude and longitude as numbers.")))
    if (lat is None) != (lng is None):
        problems.append(intake.FieldError("lat", "invalid", _("Give both latitude and longitude, or neither.")))
    if problems:
        raise intake.IntakeError(problems)
    return intake.IntakeSubmission(
        service_code=category.service_code, channel=channel, answers=answers,
        description=form.description.data or "",
        location=intake.Location(lat=lat, lng=lng, address=form.address.data or None),
        contact=intake.Contact(name=form.name.data or None, email=form.email.data or None,
                               phone=form.phone.data or None),
        anonymous=bool(form.anonymous.data), locale=form.locale.data or "en",
    )


def _attach_errors(form, exc: intake.IntakeError) -> list[str]:
    general = []
    for error in exc.errors:
        name = error.field
        if name.startswith("attribute[") and name.endswith("]"):
            name = "q_" + name[len("attribute["):-1]
        else:
            name = ERROR_FIELDS.get(name, "")
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = [*list(field.errors), error.message]
        else:
            general.append(error.message)
    return general


@bp.route("/new", methods=["GET", "POST"])
@require_role("agent")
def new_request():
    channel, caller = _channel(), _caller()
    code = (request.values.get("service_code") or "").strip()
    if not code:
        return redirect(url_for(".index", channel=channel, **caller))
    category = _category_or_404(code)
    refused = _not_offered(category, channel)
    if refused:
        flash(refused, "error")
        return redirect(url_for(".index", channel=channel, **caller))
    locale = request.values.get("locale") if request.values.get("locale") in ("en", "es") else "en"
    form_cls = intake_form_class(category, locale)
    if request.method == "GET":
        form = form_cls(formdata=None, channel=channel, phone=caller["phone"], email=caller["email"], locale=locale)
        return _render_intake(form, category, channel)
    form = form_cls()
    if not form.validate_on_submit():
        return _render_intake(form, category, channel, status=422)
    try:
        sub = _submission(form, category, channel)
        intake.validate(sub)
    except intake.IntakeError as exc:
        return _render_intake(form, category, channel, general=_attach_errors(form, exc), status=422)
    if form.confirm_new.data != "1":
        tenant = current_access().tenant
        duplicates = intake.find_duplicates(category, sub.location.lat, sub.location.lng, tenant=tenant)
        if duplicates:
            form.confirm_new.data = "1"
            return _render_intake(form, category, channel, duplicates=duplicates)
    result = desk.file_for_caller(sub, note=form.note.data or "")
    return redirect(url_for(".filed", number=result.request.number, channel=channel))


def _render_intake(form, category: Category, channel: str, *, general=None, duplicates=None, status: int = 200):
    questions = [(q, getattr(form, question_field_name(q))) for q in category.questions if q.variable]
    info_lines = [q for q in category.questions if not q.variable]
    history = desk.caller_history(form.phone.data or "", form.email.data or "")
    articles = search_articles("", form.locale.data or "en", category_id=category.id, limit=3)
    return render_template("console/desk_new.html", form=form, category=category, questions=questions,
                           info_lines=info_lines, general=general or [], duplicates=duplicates or [],
                           history=history, articles=articles, join_form=JoinForm(formdata=None),
                           **_common(channel)), status


@bp.post("/join/<number>")
@require_role("agent")
def join_existing(number: str):
    """The caller reports something already open: add them to it instead of filing again."""
    req = loaders.request_for_staff(number, current_access())
    form = JoinForm()
    if not form.validate_on_submit():
        abort(400)
    channel = form.channel.data if form.channel.data in AGENT_CHANNELS else "phone"
    desk.add_caller_to_existing(req, channel, email=form.caller_email.data or "", phone=form.caller_phone.data or "",
                                locale=form.locale.data or "en")
    flash(_("The caller was added to %(n)s and will hear about its progress.", n=req.number))
    return redirect(url_for(".filed", number=req.number, channel=channel, joined=1))


@bp.get("/filed/<number>")
@require_role("agent")
def filed(number: str):
    """Read the tracking number back to the caller."""
    req = loaders.request_for_staff(number, current_access())
    return render_template("console/desk_filed.html", req=req, joined=bool(request.args.get("joined")),
                           spelled=" ".join(ch if ch != "-" else "–" for ch in req.number), **_common(_channel()))


@bp.get("/article/<article_id>")
@require_role("agent")
def article(article_id: str):
    """One knowledge-base answer, to read out to the caller."""
    import uuid

    try:
        ident = uuid.UUID(article_id)
    except ValueError:
        abort(404)
    row = db.session.scalar(select(KbArticle).where(KbArticle.id == ident, KbArticle.published.is_(True)))
    if row is None:
        abort(404)
    form = ContactForm(formdata=None, channel=_channel(), kb_article_id=str(row.id), **{
        "caller_phone": _caller()["phone"], "caller_email": _caller()["email"]})
    return render_template("console/desk_article.html", article=row, contact_form=form, **_common(_channel()))
