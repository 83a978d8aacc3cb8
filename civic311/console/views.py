"""The staff console: the queue and one request's page with its actions. Thin: parse, load with
access checked, call the service, render. Never commits."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from civic311.console import access as loaders
from civic311.console import queue as queue_mod
from civic311.console import service
from civic311.console.forms import ACTION_FORMS, BulkForm, DeleteForm, SaveViewForm
from civic311.console.layout import attachment_url
from civic311.console.models import AGENT_CHANNELS
from civic311.db import db
from civic311.platform import intake
from civic311.platform.lifecycle import ConcurrentChange, LifecycleError
from civic311.platform.models import CLOSE_REASONS, RequestEvent, ServiceRequest
from civic311.tenants.catalog import CHANNELS, Category, Department, RoutingRule, Zone
from civic311.web.city import city_blueprint, current_access, require_role

bp = city_blueprint("console", __name__)


@bp.app_template_filter("sla_state")
def _sla_state(req: ServiceRequest) -> str:
    return queue_mod.sla_state_now(req)


def _choices_assignee(department_id=None, blank: str | None = None) -> list[tuple[str, str]]:
    people = [(str(u.id), u.name) for u in loaders.assignable_staff(department_id)]
    return ([("none", blank)] if blank else []) + people


def _filter_options(access) -> dict:
    departments = [d for d in db.session.scalars(select(Department).order_by(Department.name))
                   if access.can_see_department(d.id)]
    return {
        "departments": departments,
        "categories": list(db.session.scalars(select(Category).order_by(Category.name))),
        "zones": list(db.session.scalars(select(Zone).order_by(Zone.name))),
        "assignees": loaders.assignable_staff(),
        "channels": CHANNELS,
    }


@bp.get("/")
def home():
    """/t/<slug>/: staff start at the queue, agents at the desk."""
    return redirect(url_for(".queue"))


@bp.get("/queue")
def queue():
    access = current_access()
    if not access.at_least("staff"):
        return redirect(url_for("desk.index"))  # agents (a city's own or an operator's) work the desk
    filters = queue_mod.QueueFilter.from_args(request.args)
    result = queue_mod.page(filters, access, current_user.id, request.args.get("after"))
    options = _filter_options(access)
    bulk = BulkForm()
    bulk.assignee.choices = _choices_assignee(blank=_("Nobody (unassign)"))
    save_form = SaveViewForm(filters=json.dumps(filters.as_args()))
    names = {
        "departments": {d.id: d.name for d in options["departments"]},
        "people": {u.id: u.name for u in options["assignees"]},
    }
    return render_template("console/queue.html", filters=filters, page=result, options=options, names=names,
                           bulk=bulk, save_form=save_form, delete_form=DeleteForm(),
                           saved_views=service.views_of(current_user.id), is_first_page=not request.args.get("after"))


@bp.post("/queue/bulk")
@require_role("staff")
def bulk_update():
    access = current_access()
    form = BulkForm()
    form.assignee.choices = _choices_assignee(blank=_("Nobody (unassign)"))
    back = request.form.get("back") or url_for(".queue")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:  # never off-site
        back = url_for(".queue")
    if not form.validate_on_submit():
        flash(_("Your session expired. Please try again."), "error")
        return redirect(back)
    items = [(rid, request.form.get(f"v-{rid}", "")) for rid in request.form.getlist("selected")]
    if not items:
        flash(_("Select at least one request."), "error")
        return redirect(back)
    value = form.assignee.data if form.action.data == "assign" else form.status.data
    try:
        result = service.bulk_update(items, form.action.data, value, access)
    except LifecycleError as exc:
        flash(str(exc), "error")
        return redirect(back)
    if result.done:
        flash(_("Updated %(n)s requests: %(list)s", n=len(result.done), list=", ".join(result.done)))
    for number, why in result.skipped:
        flash(_("Not changed: %(number)s (%(why)s)", number=number, why=why), "error")
    return redirect(back)


@bp.post("/queue/views")
@require_role("staff")
def save_view():
    form = SaveViewForm()
    try:
        filters = json.loads(form.filters.data or "{}")
        filters = {k: str(v) for k, v in filters.items() if k in queue_mod.QueueFilter.__dataclass_fields__}
    except (ValueError, AttributeError):
        filters = {}
    if not form.validate_on_submit():
        flash(_("Give the view a name."), "error")
        return redirect(url_for(".queue", **filters))
    view = service.save_view(current_user.id, form.name.data, filters)
    flash(_("Saved the view “%(name)s”.", name=view.name))
    return redirect(url_for(".queue", **view.filters))


@bp.post("/queue/views/<view_id>/delete")
@require_role("staff")
def delete_view(view_id: str):
    view = loaders.saved_view_for(current_user.id, view_id)
    if DeleteForm().validate_on_submit():
        service.delete_view(view)
        flash(_("Deleted the view “%(name)s”.", name=view.name))
    return redirect(url_for(".queue"))


# --- one request ------------------------------------------------------------------------------------

def _forms_for(req: ServiceRequest, given: dict | None = None) -> dict:
    forms = {}
    for action, form_cls in ACTION_FORMS.items():
        if given and action in given:
            form = given[action]
        else:
            form = form_cls(prefix=action, formdata=None)
            form.version.data = str(req.version)
        forms[action] = form
    forms["assign"].assignee.choices = _choices_assignee(req.department_id, blank=_("Nobody"))
    if not (given and "assign" in given):
        forms["assign"].assignee.data = str(req.assignee_user_id) if req.assignee_user_id else "none"
    forms["recategorize"].category_id.choices = [("", _("Choose a category"))] + [
        (str(c.id), c.name) for c in db.session.scalars(
            select(Category).where(Category.active.is_(True)).order_by(Category.name)) if c.id != req.category_id]
    forms["reply"].response.choices = [("", _("None: write your own"))] + [
        (str(r.id), f"{r.title} ({r.locale})") for r in service.standard_responses()]
    if not (given and "move" in given):
        forms["move"].lat.data, forms["move"].lng.data = req.lat, req.lng
        forms["move"].address.data = req.address
    return forms


def render_detail(req: ServiceRequest, given: dict | None = None, *, conflict: str | None = None,
                  action_error: tuple[str, str] | None = None, status: int = 200):
    access = current_access()
    tenant = access.tenant
    forms = _forms_for(req, given)
    chosen = loaders.standard_response(request.args.get("response", "")) if request.method == "GET" else None
    if chosen is not None:
        forms["reply"].response.data = str(chosen.id)
        forms["reply"].message.data = service.fill_response(chosen.body, req, tenant)
    category = db.session.scalar(select(Category).where(Category.id == req.category_id))
    duplicates = []
    if req.is_open and category is not None:
        duplicates = [d for d in intake.find_duplicates(category, req.lat, req.lng, tenant=tenant, limit=6)
                      if d.id != req.id][:5]
    history = list(db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == req.id)
                                      .order_by(RequestEvent.at, RequestEvent.id)))
    who = {e.id: _who(req, e) for e in history}
    routing_rule = (db.session.scalar(select(RoutingRule).where(RoutingRule.id == req.routing_rule_id))
                    if req.routing_rule_id else None)
    department = (db.session.scalar(select(Department).where(Department.id == req.department_id))
                  if req.department_id else None)
    assignee = next((u for u in loaders.assignable_staff() if u.id == req.assignee_user_id), None)
    zone = db.session.scalar(select(Zone).where(Zone.id == req.zone_id)) if req.zone_id else None
    duplicate_of = (db.session.scalar(select(ServiceRequest).where(ServiceRequest.id == req.duplicate_of_id))
                    if req.duplicate_of_id else None)
    photos = [(a, attachment_url(a), attachment_url(a, thumb=bool(a.thumb_key))) for a in req.attachments]
    return render_template(
        "console/request.html", req=req, forms=forms, conflict=conflict, action_error=action_error,
        duplicates=duplicates, history=history, who=who, routing_rule=routing_rule, department=department,
        assignee=assignee, zone=zone,
        duplicate_of=duplicate_of, photos=photos, sla_state=queue_mod.sla_state_now(req),
        close_reasons=CLOSE_REASONS, agent_channels=AGENT_CHANNELS,
    ), status


def _who(req: ServiceRequest, event: RequestEvent) -> str:
    """Who did it, as the history shows it. Intake records an anonymous resident as "anonymous resident";
    requests filed before it did were recorded under the resident's e-mail, which staff must not learn."""
    label = event.actor_label or _("system")
    if req.anonymous and event.actor_user_id is None and label.startswith(("resident ", "anonymous resident")):
        return _("The reporter (anonymous)")
    return label


@bp.get("/requests/<number>")
@require_role("staff")
def request_detail(number: str):
    return render_detail(loaders.request_for_staff(number, current_access()))


@bp.post("/requests/<number>/<action>")
@require_role("staff")
def request_action(number: str, action: str):
    if action not in ACTION_FORMS:
        abort(404)
    access = current_access()
    req = loaders.request_for_staff(number, access)
    form = ACTION_FORMS[action](prefix=action)
    if action == "assign":
        form.assignee.choices = _choices_assignee(req.department_id, blank=_("Nobody"))
    if not form.validate_on_submit():
        return render_detail(req, {action: form}, status=422)
    data = dict(form.data)
    try:
        service.perform(req, action, data, access)
        db.session.flush()  # a change committed meanwhile by someone else surfaces here, not as a 500
    except (ConcurrentChange, StaleDataError) as exc:
        # Show the latest data and keep what was typed; the form now carries the new version to retry.
        db.session.rollback()
        req = loaders.request_for_staff(number, access)
        form.version.data = str(req.version)
        message = str(exc) if isinstance(exc, ConcurrentChange) else str(ConcurrentChange(
            _("Someone else changed this request while you were working on it. "
              "Review the latest version and try again.")))
        return render_detail(req, {action: form}, conflict=message, status=409)
    except LifecycleError as exc:
        db.session.rollback()
        req = loaders.request_for_staff(number, access)
        form.version.data = str(req.version)
        return render_detail(req, {action: form}, action_error=(action, str(exc)), status=422)
    flash(_("Saved: %(number)s.", number=req.number))
    return redirect(url_for(".request_detail", number=req.number) + "#history")


@bp.get("/find")
@require_role("staff")
def find():
    """Jump to a request by its tracking number."""
    number = (request.args.get("number") or "").strip()
    req = loaders.visible_request(number, current_access()) if number else None
    if req is None:
        flash(_("There is no request %(n)s in this city.", n=number or "?"), "error")
        return redirect(url_for(".queue"))
    return redirect(url_for(".request_detail", number=req.number))
