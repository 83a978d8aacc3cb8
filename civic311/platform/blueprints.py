"""The engines' pages on a city's host: signed photo links (local storage) and the closure survey."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from civic311.db import db
from civic311.platform import routing_text, storage, surveys
from civic311.platform.models import ServiceRequest
from civic311.web.hosts import restrict_to

bp = Blueprint("platform", __name__, template_folder="templates")
restrict_to(bp, "tenant")
# Any page (console, settings) shows a stored routing sentence in its reader's language.
bp.add_app_template_filter(routing_text.in_reader_language, "routing_line")

SCORES = [("5", _l("5 — Excellent")), ("4", _l("4 — Good")), ("3", _l("3 — Fair")), ("2", _l("2 — Poor")),
          ("1", _l("1 — Very poor"))]


class SurveyForm(FlaskForm):
    score = RadioField(_l("How satisfied are you with how we handled your report?"), choices=SCORES,
                       validators=[InputRequired(message=_l("Choose a score from 1 (poor) to 5 (excellent)."))])
    comment = TextAreaField(_l("Anything you would like to tell us? (optional)"),
                            validators=[Length(max=surveys.MAX_COMMENT)])


@bp.get("/media/<path:key>")
def media(key: str) -> Response:
    """A photo on local disk, only through an unexpired link signed for this city's key."""
    if not key.startswith(f"t/{g.tenant.id}/") or not storage.signature_valid(key, request.args.get("e"),
                                                                            request.args.get("s", "")):
        abort(404)
    try:
        data = storage.local().get(key)
    except storage.StorageError:
        abort(404)
    kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    response = Response(data, mimetype=kind)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey(token: str):
    found = surveys.survey_for_token(token)
    if found is None:
        abort(404)
    req = db.session.get(ServiceRequest, (found.tenant_id, found.request_id))
    form = SurveyForm(data={"score": str(found.score) if found.score else None, "comment": found.comment or ""}
                      if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            surveys.answer_survey(token, form.score.data, form.comment.data or "")
        except surveys.SurveyError as err:
            for name in ("score", "comment"):
                getattr(form, name).errors = list(getattr(form, name).errors) + err.for_field(name)
        else:
            return render_template("platform/survey_thanks.html", req=req)
    status = 400 if request.method == "POST" else 200
    return render_template("platform/survey.html", form=form, req=req, answered=found.answered_at is not None), status


BLUEPRINTS = [bp]
