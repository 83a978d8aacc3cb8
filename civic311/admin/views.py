"""The platform admin, on the platform host under /admin. Platform admins only, signed in with TOTP;
anyone else gets 404, as if it did not exist."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from civic311.accounts.models import OperatorContract, OperatorOrg, User
from civic311.admin import export as exports
from civic311.admin import queries, service
from civic311.admin.forms import EmptyForm, ExtendTrialForm, FlagForm, InviteForm, OperatorOrgForm, ReasonForm
from civic311.admin.models import DataExport
from civic311.billing import entitlements
from civic311.billing.models import StripeEvent
from civic311.db import db, utcnow
from civic311.tenancy import all_tenants, tenant_context
from civic311.tenants.models import TENANT_STATUSES, Tenant
from civic311.web.hosts import restrict_to

bp = Blueprint("admin", __name__, url_prefix="/admin")
restrict_to(bp, "platform")


@bp.before_request
def _platform_admins_only():
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if not isinstance(user, User) or not user.is_platform_admin or user.totp_enabled_at is None:
        abort(404)


def _city(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        abort(404)
    return tenant


def _enter_url(tenant: Tenant) -> str:
    """Where support lands inside a city: its console queue when the console is installed."""
    if "console.queue" in current_app.view_functions:
        return url_for("console.queue", slug=tenant.slug)
    return url_for("billing.page", slug=tenant.slug)


def _form_problem(form) -> None:
    for errors in form.errors.values():
        flash(errors[0], "error")
        return


@bp.get("/")
def index():
    app = current_app._get_current_object()
    return render_template(
        "admin/index.html", by_status=queries.cities_by_status(), per_day=queries.requests_per_day(),
        queues=queries.queue_figures(app), failed_events=len(queries.failed_stripe_events()),
    )


@bp.get("/cities")
def cities():
    q, status = request.args.get("q", ""), request.args.get("status", "")
    return render_template("admin/cities.html", rows=queries.cities(q, status), q=q, status=status,
                           statuses=TENANT_STATUSES)


@bp.get("/cities/<slug>")
def city(slug: str):
    tenant = _city(slug)
    with tenant_context(tenant.id):
        city_exports = db.session.scalars(select(DataExport).order_by(DataExport.created_at.desc()).limit(10)).all()
        contracts = db.session.scalars(select(OperatorContract)).all()
    row = next((r for r in queries.cities(tenant.slug) if r.tenant.id == tenant.id), None)
    return render_template(
        "admin/city.html", tenant=tenant, row=row, exports=city_exports, contracts=contracts,
        audit=queries.audit_search(city=tenant, limit=30), reason_form=ReasonForm(),
        trial_form=ExtendTrialForm(prefix="trial"), flag_form=FlagForm(prefix="flag"), button=EmptyForm(),
        features=entitlements.entitlements(tenant),
        now_utc=utcnow(), enter_url=_enter_url(tenant),
    )


@bp.post("/cities/<slug>/suspend")
def suspend(slug: str):
    tenant, form = _city(slug), ReasonForm()
    if form.validate_on_submit():
        service.suspend_city(tenant, form.reason.data)
        flash(_("%(city)s is suspended: its console is read-only and its data untouched.", city=tenant.title))
    else:
        _form_problem(form)
    return redirect(url_for("admin.city", slug=slug))


@bp.post("/cities/<slug>/reactivate")
def reactivate(slug: str):
    tenant, form = _city(slug), ReasonForm()
    if form.validate_on_submit():
        try:
            status = service.reactivate_city(tenant, form.reason.data)
            flash(_("%(city)s is reactivated (now: %(status)s).", city=tenant.title, status=status))
        except service.AdminError as exc:
            flash(str(exc), "error")
    else:
        _form_problem(form)
    return redirect(url_for("admin.city", slug=slug))


@bp.post("/cities/<slug>/extend-trial")
def extend_trial(slug: str):
    tenant, form = _city(slug), ExtendTrialForm(prefix="trial")
    if form.validate_on_submit():
        try:
            service.extend_trial(tenant, form.days.data, form.reason.data)
            flash(_("The trial is extended."))
        except service.AdminError as exc:
            flash(str(exc), "error")
    else:
        _form_problem(form)
    return redirect(url_for("admin.city", slug=slug))


@bp.post("/cities/<slug>/flags")
def set_flag(slug: str):
    tenant, form = _city(slug), FlagForm(prefix="flag")
    if form.validate_on_submit():
        try:
            service.set_feature_flag(tenant, form.name.data, form.enabled.data == "on")
            flash(_("Flag saved."))
        except service.AdminError as exc:
            flash(str(exc), "error")
    else:
        _form_problem(form)
    return redirect(url_for("admin.city", slug=slug) + "#flags")


@bp.post("/cities/<slug>/flags/<name>/remove")
def remove_flag(slug: str, name: str):
    tenant = _city(slug)
    if EmptyForm().validate_on_submit():
        service.remove_feature_flag(tenant, name)
    return redirect(url_for("admin.city", slug=slug) + "#flags")


@bp.post("/cities/<slug>/exports")
def request_export(slug: str):
    tenant = _city(slug)
    if EmptyForm().validate_on_submit():
        with tenant_context(tenant.id):
            exports.request_export(tenant)
        service.platform_audit("export.requested_by_platform", None, {"city": tenant.slug})
        flash(_("The export is being built. Reload this page in a minute."))
    return redirect(url_for("admin.city", slug=slug) + "#exports")


@bp.get("/cities/<slug>/exports/<uuid:export_id>")
def download_export(slug: str, export_id: uuid.UUID):
    tenant = _city(slug)
    with tenant_context(tenant.id):
        export = db.session.scalar(select(DataExport).where(DataExport.id == export_id))
        if export is None or export.status != "ready":
            abort(404)
        service.platform_audit("export.downloaded", tenant, {"export": str(export.id)})
        data = exports.export_bytes(export)
    return _zip_response(tenant, export, data)


def _zip_response(tenant: Tenant, export: DataExport, data: bytes):
    import io

    name = f"{tenant.slug}-export-{export.finished_at:%Y%m%d}.zip"
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)


@bp.get("/webhooks")
def webhooks():
    return render_template("admin/webhooks.html", events=queries.failed_stripe_events(),
                           jobs=queries.failed_jobs(current_app._get_current_object()), button=EmptyForm(),
                           redis=bool(current_app.config["CIVIC311"].redis_url))


@bp.post("/webhooks/<uuid:event_id>/retry")
def retry_webhook(event_id: uuid.UUID):
    event = db.session.get(StripeEvent, event_id)
    if event is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        service.retry_stripe_event(event)
        flash(_("The event is queued again."))
    return redirect(url_for("admin.webhooks"))


@bp.post("/jobs/<queue>/<job_id>/retry")
def retry_job(queue: str, job_id: str):
    if EmptyForm().validate_on_submit():
        try:
            if service.retry_rq_job(current_app._get_current_object(), queue, job_id):
                flash(_("The job is queued again."))
            else:
                flash(_("That job is no longer in the failed list."), "error")
        except service.AdminError as exc:
            flash(str(exc), "error")
    return redirect(url_for("admin.webhooks"))


@bp.route("/operators", methods=["GET", "POST"])
def operators():
    form = OperatorOrgForm()
    if form.validate_on_submit():
        try:
            org = service.create_operator_org(form.name.data, form.slug.data)
            return redirect(url_for("admin.operator", org_id=org.id))
        except service.AdminError as exc:
            form.slug.errors.append(str(exc))
    orgs = db.session.scalars(select(OperatorOrg).order_by(OperatorOrg.name)).all()
    return render_template("admin/operators.html", orgs=orgs, form=form)


@bp.route("/operators/<uuid:org_id>", methods=["GET", "POST"])
def operator(org_id: uuid.UUID):
    org = db.session.get(OperatorOrg, org_id)
    if org is None:
        abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user, _temporary = service.invite_operator_admin(org, form.email.data, form.name.data)
            flash(_("%(email)s is invited: the sign-in details are on their way by e-mail.", email=user.email))
            return redirect(url_for("admin.operator", org_id=org.id))
        except service.AdminError as exc:
            form.email.errors.append(str(exc))
    people = db.session.scalars(select(User).where(User.operator_org_id == org.id).order_by(User.name)).all()
    with all_tenants(reason=f"platform admin: contracts of operator {org.slug}"):
        contracts = db.session.scalars(select(OperatorContract).where(OperatorContract.operator_org_id == org.id)).all()
    names = {t.id: t for t in db.session.scalars(select(Tenant))}
    return render_template("admin/operator.html", org=org, people=people, form=form,
                           contracts=[(names.get(c.tenant_id), c) for c in contracts])


@bp.get("/audit")
def audit_log():
    q, slug = request.args.get("q", ""), request.args.get("city", "")
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug)) if slug else None
    return render_template("admin/audit.html", rows=queries.audit_search(q, tenant), q=q, city=slug)
