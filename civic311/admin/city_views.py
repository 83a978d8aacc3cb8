"""Pages for a city's own admins: letting platform support in for a while, and the full export."""

from __future__ import annotations

import io
import uuid

from flask import abort, flash, g, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.admin import export as exports
from civic311.admin import service
from civic311.admin.forms import EmptyForm, SupportAccessForm
from civic311.admin.models import DataExport
from civic311.db import db, utcnow
from civic311.web.city import allowed_while_suspended, city_blueprint, current_access, require_role

bp = city_blueprint("admin_city", __name__)


def _city_admin_in_person():
    """Only the city's own admins decide who comes in: support cannot extend its own access."""
    access = current_access()
    if access.via != "membership" or not access.at_least("admin"):
        abort(403)


@bp.route("/support-access", methods=["GET", "POST"])
@require_role("admin")
def support_access():
    _city_admin_in_person()
    form = SupportAccessForm()
    if form.validate_on_submit():
        until = service.allow_support_access(g.tenant, form.hours.data)
        flash(_("Platform support may enter until %(until)s UTC. Everything they do is recorded.",
                until=f"{until:%Y-%m-%d %H:%M}"))
        return redirect(url_for("admin_city.support_access"))
    active = g.tenant.support_access_until and g.tenant.support_access_until > utcnow()
    return render_template("admin/support_access.html", tenant=g.tenant, form=form, active=active,
                           end_form=EmptyForm())


@bp.post("/support-access/end")
@require_role("admin")
def end_support_access():
    _city_admin_in_person()
    if EmptyForm().validate_on_submit():
        service.end_support_access(g.tenant)
        flash(_("Support access has ended."))
    return redirect(url_for("admin_city.support_access"))


@bp.route("/export", methods=["GET", "POST"])
@allowed_while_suspended
@require_role("admin")
def export():
    form = EmptyForm()
    if form.validate_on_submit():
        exports.request_export(g.tenant)
        flash(_("Your export is being prepared. Reload this page in a minute to download it."))
        return redirect(url_for("admin_city.export"))
    found = db.session.scalars(select(DataExport).order_by(DataExport.created_at.desc()).limit(10)).all()
    return render_template("admin/city_export.html", tenant=g.tenant, exports=found, form=form)


@bp.get("/export/<uuid:export_id>")
@require_role("admin")
def download(export_id: uuid.UUID):
    export = db.session.scalar(select(DataExport).where(DataExport.id == export_id))
    if export is None or export.status != "ready":
        abort(404)
    data = exports.export_bytes(export)
    name = f"{g.tenant.slug}-export-{export.finished_at:%Y%m%d}.zip"
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)
