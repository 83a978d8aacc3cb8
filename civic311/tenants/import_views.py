"""Settings pages for importing requests from a CSV export: upload, map, progress, report."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from civic311.db import db
from civic311.tenants import imports
from civic311.tenants.catalog import Category
from civic311.tenants.forms import ImportUploadForm, PlainForm
from civic311.tenants.settings_service import SettingsError
from civic311.tenants.settings_views import bp, load

FIELD_LABELS = {
    "external_id": "Id in the old system", "requested_at": "Date filed", "category": "Request type",
    "description": "Description", "address": "Address", "zipcode": "ZIP code", "lat": "Latitude",
    "lng": "Longitude", "status": "Status", "closed_at": "Date closed",
}


@bp.route("/import", methods=["GET", "POST"])
def import_upload():
    form = ImportUploadForm()
    jobs = list(db.session.scalars(select(imports.ImportJob).order_by(imports.ImportJob.created_at.desc())
                                   .limit(20)))
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("settings/import_upload.html", form=form, jobs=jobs), 422
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors.append(_("Choose a CSV file."))
            return render_template("settings/import_upload.html", form=form, jobs=jobs), 422
        try:
            job = imports.upload(upload.filename, upload.read(), form.encoding.data, current_user.id)
        except SettingsError as exc:
            form.file.errors.append(str(exc))
            return render_template("settings/import_upload.html", form=form, jobs=jobs), 422
        return redirect(url_for("settings.import_mapping", job_id=str(job.id)))
    return render_template("settings/import_upload.html", form=form, jobs=jobs)


def _mapping_page(job, status=200, error=None):
    categories = list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.name)))
    return render_template("settings/import_mapping.html", job=job, fields=imports.FIELDS, labels=FIELD_LABELS,
                           types=imports.type_values(job), categories=categories, error=error,
                           rows=imports.preview(job, g.tenant), form=PlainForm()), status


@bp.route("/import/<job_id>", methods=["GET", "POST"])
def import_mapping(job_id: str):
    job = load(imports.ImportJob, job_id)
    if job.status != "uploaded":
        return redirect(url_for("settings.import_progress", job_id=job_id))
    if request.method == "POST":
        if not PlainForm().validate_on_submit():
            abort(400)
        mapping = {f: request.form.get(f"map-{f}", "") for f in imports.FIELDS}
        types = imports.type_values(job)
        category_map = {t: request.form.get(f"type-{i}", "") for i, t in enumerate(types)}
        try:
            imports.set_mapping(job, mapping, category_map)
        except SettingsError as exc:
            db.session.rollback()
            return _mapping_page(load(imports.ImportJob, job_id), 422, {exc.field: str(exc)})
        if request.form.get("action") == "start":
            imports.start(job)
            flash(_("The import has started."))
            return redirect(url_for("settings.import_progress", job_id=job_id))
        return redirect(url_for("settings.import_mapping", job_id=job_id))
    return _mapping_page(job)


@bp.get("/import/<job_id>/progress")
def import_progress(job_id: str):
    job = load(imports.ImportJob, job_id)
    return render_template("settings/import_progress.html", job=job,
                           reasons=sorted(job.skip_reasons.items(), key=lambda kv: -kv[1]))
