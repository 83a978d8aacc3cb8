"""Supervisor pages: the dashboard and the city's standard responses."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.console import dashboard as figures
from civic311.console import service
from civic311.console.forms import DeleteForm, StandardResponseForm
from civic311.console.models import StandardResponse
from civic311.db import db
from civic311.web.city import city_blueprint, city_row_or_404, current_access, require_role

dashboard_bp = city_blueprint("dashboard", __name__, "/dashboard")
responses_bp = city_blueprint("responses", __name__, "/responses")


@dashboard_bp.get("/")
@require_role("supervisor")
def index():
    tenant = current_access().tenant
    agents, orgs, channels = figures.people_figures()
    categories = figures.category_figures()
    return render_template("console/dashboard.html", departments=figures.department_figures(tenant),
                           agents=agents, orgs=orgs, channels=channels, categories=categories,
                           self_service=sum(c.deflections for c in categories), period_days=figures.PERIOD_DAYS)


@responses_bp.get("/", endpoint="index")
@require_role("supervisor")
def index_responses():
    rows = list(db.session.scalars(select(StandardResponse).order_by(StandardResponse.locale, StandardResponse.title)))
    return render_template("console/responses.html", rows=rows, delete_form=DeleteForm())


def _response_or_404(response_id: str) -> StandardResponse:
    return city_row_or_404(StandardResponse, response_id)


@responses_bp.route("/new", methods=["GET", "POST"], endpoint="new")
@responses_bp.route("/<response_id>", methods=["GET", "POST"], endpoint="edit")
@require_role("supervisor")
def edit(response_id: str | None = None):
    row = _response_or_404(response_id) if response_id else None
    form = StandardResponseForm(obj=row)
    if form.validate_on_submit():
        service.save_standard_response(row, title=form.title.data, body=form.body.data, locale=form.locale.data,
                                       active=form.active.data)
        flash(_("Saved the response “%(t)s”.", t=form.title.data))
        return redirect(url_for(".index"))
    return render_template("console/response_edit.html", form=form, row=row,
                           placeholders=("tracking_number", "expected_date", "category", "city", "status", "address")
                           ), 422 if form.errors else 200


@responses_bp.post("/<response_id>/delete")
@require_role("supervisor")
def delete(response_id: str):
    row = _response_or_404(response_id)
    if DeleteForm().validate_on_submit():
        service.delete_standard_response(row)
        flash(_("Deleted the response “%(t)s”.", t=row.title))
    return redirect(url_for(".index"))
