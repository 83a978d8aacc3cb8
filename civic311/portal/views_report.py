"""Reporting a problem: plain server-side steps that work without JavaScript (which only enhances them).

category → (emergency notice / answers that may solve it) → details → location → contact → review → done.
"""

from __future__ import annotations

import logging
from functools import wraps

from flask import g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from civic311.platform import intake
from civic311.platform.intake import IntakeError, PhotoUpload
from civic311.portal import public, report, service
from civic311.portal.blueprint import bp, locale, reporting_closed_because, resident
from civic311.portal.branding import optional_module
from civic311.portal.forms import (
    CategoryForm,
    ContactForm,
    DeflectionForm,
    LocationForm,
    ReviewForm,
    details_form_class,
    question_field_name,
)

log = logging.getLogger("civic311.portal")
MAX_PHOTOS = 6


def open_city(view):
    """A suspended city, or one that switched its portal channel off, shows its phone number instead."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        reason = reporting_closed_because(g.tenant)
        if reason is not None:
            return render_template("portal/report_closed.html", reason=reason), 503
        return view(*args, **kwargs)

    return wrapper


def needs_category(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        draft = report.current_draft()
        category = report.category_of(draft)
        if category is None:
            return redirect(url_for("portal.report_category"))
        return view(draft, category, *args, **kwargs)

    return wrapper


def _attach(form, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        if name in form:
            form[name].errors = list(form[name].errors) + messages


def _kb_articles(category, text: str = "") -> list:
    search = optional_module("civic311.kb.search")
    if search is None:
        return []
    try:
        return list(search.search_articles(text or category.label(locale()), locale(), category_id=category.id,
                                           limit=3))
    except Exception:  # a broken knowledge base must not stop anyone reporting
        log.exception("knowledge base search failed")
        return []


# --- 1. the kind of problem ---------------------------------------------------------------------

@bp.route("/report", methods=["GET", "POST"])
@open_city
def report_category():
    draft = report.current_draft()
    query = request.args.get("q", "").strip()
    groups = [(group, [c for c in cats if public.matches(c, query, locale())])
              for group, cats in public.catalog_for_portal()]
    groups = [(group, cats) for group, cats in groups if cats]
    form = CategoryForm(category=(draft.data or {}).get("service_code") if draft else None)
    form.category.choices = [(c.service_code, c.label(locale())) for _g, cats in public.catalog_for_portal()
                             for c in cats]
    if form.validate_on_submit():
        code = form.category.data
        changed = not draft or (draft.data or {}).get("service_code") != code
        draft = report.save(draft, service_code=code, **({"answers": {}} if changed else {}))
        category = report.category_of(draft)
        if category.emergency_notice.get(locale()) or category.emergency_notice.get("en") or _kb_articles(category):
            return redirect(url_for("portal.report_before"))
        return redirect(url_for("portal.report_details"))
    status = 400 if form.errors else 200
    return render_template("portal/report_category.html", form=form, groups=groups, query=query, step="category",
                           category_count=sum(len(c) for _g, c in groups), search_text=public.search_text), status


# --- 1b. before you report: emergencies, and answers that may solve it ---------------------------

@bp.route("/report/before", methods=["GET", "POST"])
@open_city
@needs_category
def report_before(draft, category):
    form = DeflectionForm()
    if form.validate_on_submit():
        service.record_deflection(category.id, form.article_id.data or None, locale())
        report.forget(draft)
        return redirect(url_for("portal.report_solved"))
    notice = category.emergency_notice.get(locale()) or category.emergency_notice.get("en")
    return render_template("portal/report_before.html", category=category, notice=notice,
                           articles=_kb_articles(category), form=form, step="category")


@bp.get("/report/solved")
def report_solved():
    return render_template("portal/report_solved.html")


# --- 2. the category's questions ----------------------------------------------------------------

@bp.route("/report/details", methods=["GET", "POST"])
@open_city
@needs_category
def report_details(draft, category):
    form_class = details_form_class(category, locale())
    data = draft.data or {}
    answers = data.get("answers") or {}
    questions = [q for q in category.questions if q.variable]
    if request.method == "GET":
        form = form_class(description=data.get("description", ""),
                          **{question_field_name(q): answers.get(q.code) for q in questions})
    else:
        form = form_class()
    if form.validate_on_submit():
        answers = {}
        for question in questions:
            value = form[question_field_name(question)].data
            if value not in (None, "", []):
                answers[question.code] = value
        draft = report.save(draft, answers=answers, description=(form.description.data or "").strip())
        errors = report.step_errors(draft.data, "details", locale=locale())
        if not errors:
            return redirect(url_for("portal.report_location"))
        _attach(form, errors)
    status = 400 if form.errors else 200
    return render_template("portal/report_details.html", form=form, category=category, questions=questions,
                           step="details"), status


# --- 3. where -----------------------------------------------------------------------------------

@bp.route("/report/location", methods=["GET", "POST"])
@open_city
@needs_category
def report_location(draft, category):
    data = draft.data or {}
    if request.method == "GET":
        form = LocationForm(address=data.get("address", ""), lat=data.get("lat", ""), lng=data.get("lng", ""))
    else:
        form = LocationForm()
    if form.validate_on_submit():
        lat, lng = report._float(form.lat.data), report._float(form.lng.data)
        if lat is None or lng is None:
            lat = lng = None
        draft = report.save(draft, address=(form.address.data or "").strip(), lat=lat, lng=lng)
        errors = report.step_errors(draft.data, "location", locale=locale())
        if not errors:
            report.locate_address(draft, g.tenant)
            return redirect(url_for("portal.report_contact"))
        _attach(form, errors)
    status = 400 if form.errors else 200
    return render_template("portal/report_location.html", form=form, category=category, step="location",
                           map_center=g.tenant.map_center, tile_url=g.tenant.tile_url), status


# --- 4. who -------------------------------------------------------------------------------------

def _duplicates(data: dict, category) -> list:
    lat, lng, _source = report.point_of(data)
    return intake.find_duplicates(category, lat, lng, tenant=g.tenant, limit=3)


@bp.route("/report/contact", methods=["GET", "POST"])
@open_city
@needs_category
def report_contact(draft, category):
    data = draft.data or {}
    account = resident()
    if request.method == "GET":
        form = ContactForm(name=data.get("name") or (account.name if account else ""),
                           email=data.get("email") or (account.email if account else ""),
                           phone=data.get("phone") or (account.phone if account else ""),
                           anonymous=bool(data.get("anonymous")))
    else:
        form = ContactForm()
    if not category.anonymous_allowed:
        del form.anonymous
    if form.validate_on_submit():
        anonymous = bool(form.anonymous.data) if "anonymous" in form else False
        draft = report.save(draft, name=(form.name.data or "").strip(), email=(form.email.data or "").strip(),
                            phone=(form.phone.data or "").strip(), anonymous=anonymous)
        errors = report.step_errors(draft.data, "contact", locale=locale())
        if not errors:
            return redirect(url_for("portal.report_review"))
        _attach(form, errors)
    status = 400 if form.errors else 200
    return render_template("portal/report_contact.html", form=form, category=category, step="contact",
                           duplicates=_duplicates(data, category), status_words=public.STATUS_WORDS), status


# --- 5. review, photos and submit ---------------------------------------------------------------

def _chosen_files() -> list:
    return [f for f in request.files.getlist("photos") if f and f.filename]


def _photos() -> list[PhotoUpload]:
    return [PhotoUpload(filename=f.filename, data=f.read(), content_type=f.mimetype) for f in _chosen_files()]


def _too_many_photos(form: ReviewForm) -> bool:
    """Refuse the whole submission rather than silently keep the first few: the resident chooses which."""
    if len(_chosen_files()) <= MAX_PHOTOS:
        return False
    form.photos.errors = list(form.photos.errors) + [
        _("You chose %(count)d photos; send at most %(max)d. Choose fewer and send again.",
          count=len(_chosen_files()), max=MAX_PHOTOS)]
    return True


@bp.route("/report/review", methods=["GET", "POST"])
@open_city
@needs_category
def report_review(draft, category):
    data = draft.data or {}
    form = ReviewForm()
    earlier = report.earlier_step_errors(data, locale=locale())
    if form.validate_on_submit() and not earlier and not _too_many_photos(form):
        photos = _photos()
        if photos and optional_module("civic311.platform.attachments") is None:
            log.warning("photos dropped: the attachments engine is not installed")
            photos = []
        sub = report.submission(data, locale=locale(), resident_id=resident().id if resident() else None,
                                photos=photos)
        try:
            result = intake.file_request(sub)
        except IntakeError as exc:
            for error in exc.errors:
                where, field = report.place_of(error.field)
                if where == "review":
                    form.photos.errors = list(form.photos.errors) + [error.message]
                else:
                    earlier.setdefault(where, []).append((field, error.message))
        else:
            report.forget(draft)
            session["filed"] = result.request.number
            return redirect(url_for("portal.report_done"))
    status = 400 if (form.errors or earlier) and request.method == "POST" else 200
    answers = data.get("answers") or {}
    questions = [(q, answers.get(q.code)) for q in category.questions if q.variable and answers.get(q.code)]
    lat, lng, point_source = report.point_of(data)
    return render_template("portal/report_review.html", form=form, category=category, data=data, step="review",
                           questions=questions, earlier=earlier, duplicates=_duplicates(data, category),
                           status_words=public.STATUS_WORDS, point=[lat, lng] if point_source else None,
                           point_source=point_source, tile_url=g.tenant.tile_url), status


@bp.get("/report/done")
def report_done():
    number = session.get("filed")
    req = public.request_by_number(number) if number else None
    if req is None:
        return redirect(url_for("portal.report_category"))
    link = url_for("portal.request_page", number=req.number, t=service.reporter_token(req), _external=True)
    return render_template("portal/report_done.html", req=req, reporter_link=link)


@bp.post("/report/start-over")
def report_start_over():
    form = DeflectionForm()
    if form.validate_on_submit():
        report.forget(report.current_draft())
    return redirect(url_for("portal.report_category"))


def _label_for(question, value) -> str:
    values = {str(v["key"]): (v.get("name_i18n") or {}).get(locale()) or v.get("name", v["key"])
              for v in question.values}
    if isinstance(value, list):
        return ", ".join(values.get(v, v) for v in value)
    return values.get(value, value)


@bp.app_template_filter("answer_label")
def answer_label(pair) -> str:
    question, value = pair
    return _label_for(question, value)

