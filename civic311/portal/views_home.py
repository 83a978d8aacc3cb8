"""The city's front door: home, tracking by number, the public list and map of recent requests."""

from __future__ import annotations

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField

from civic311.db import db
from civic311.portal import public, service
from civic311.portal.blueprint import bp, locale
from civic311.portal.branding import optional_module
from civic311.portal.forms import TrackForm


@bp.get("/")
def home():
    tenant = g.tenant
    return render_template(
        "portal/home.html",
        announcements=service.live_announcements(),
        track_form=TrackForm(),
        recent=public.recent_requests(limit=8),
        questions=_common_questions(),
        status_words=public.STATUS_WORDS,
        welcome=tenant.welcome(locale()),
    )


def _common_questions() -> list:
    """The knowledge base's most helpful published answers in the reader's language."""
    kb = optional_module("civic311.kb.models")
    if kb is None:
        return []
    article = kb.KbArticle
    return list(db.session.scalars(
        select(article).where(article.locale == locale(), article.published.is_(True))
        .order_by(article.helpful_count.desc(), article.title).limit(5)
    ))


@bp.route("/track", methods=["GET", "POST"])
def track():
    form = TrackForm()
    if form.validate_on_submit():
        req = public.request_by_number(form.number.data)
        if req is not None:
            return redirect(url_for("portal.request_page", number=req.number))
        form.number.errors.append(_("We could not find a request with that number. Check it and try again."))
        return render_template("portal/track.html", form=form), 404
    status = 400 if form.errors else 200
    return render_template("portal/track.html", form=form), status


class ListFilterForm(FlaskForm):
    # A filter is a question, not a write: it travels in the URL, so it carries no CSRF token.
    class Meta:
        csrf = False

    category = SelectField(choices=[])
    status = SelectField(choices=[])
    zone = SelectField(choices=[])


def _filter_form() -> ListFilterForm:
    from flask_babel import lazy_gettext as _l

    form = ListFilterForm(request.args)
    form.category.label.text = _("Kind of problem")
    form.status.label.text = _("Status")
    form.zone.label.text = _("Area")
    form.category.choices = [("", _l("All"))] + [
        (c.service_code, c.label(locale())) for _group, cats in public.catalog_for_portal() for c in cats
    ]
    form.status.choices = [("", _l("All")), ("open", _l("Open")), ("closed", _l("Closed"))]
    form.zone.choices = [("", _l("All"))] + [(str(z.id), z.name) for z in public.zones()]
    return form


def _filters() -> public.Filters:
    args = request.args
    return public.Filters(category=args.get("category", ""), status=args.get("status", ""), zone=args.get("zone", ""))


@bp.get("/requests")
def request_list():
    form = _filter_form()
    rows = public.recent_requests(_filters(), limit=100)
    points = [public.as_public_dict(r, locale()) for r in rows if r.lat is not None and r.lng is not None]
    return render_template("portal/list.html", form=form, rows=rows, points=points,
                           status_words=public.STATUS_WORDS)


@bp.get("/requests.json")
def request_list_json():
    """The list's data for the map and "near me" (public Open311 fields only)."""
    lat, lng = request.args.get("lat", type=float), request.args.get("lng", type=float)
    if lat is not None and lng is not None:
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            abort(400)
        found = public.near(lat, lng)
        items = [{**public.as_public_dict(r, locale()), "distance_m": round(d),
                  "url": url_for("portal.request_page", number=r.number)} for d, r in found]
        return jsonify(items)
    rows = public.recent_requests(_filters(), limit=100)
    return jsonify([{**public.as_public_dict(r, locale()), "url": url_for("portal.request_page", number=r.number)}
                    for r in rows])
