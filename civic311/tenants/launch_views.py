"""Settings pages, second half: routing rules, staff, knowledge base, custom domain, going live.
They hang on the same `settings` blueprint as settings_views."""

from __future__ import annotations

import uuid

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from civic311.accounts.models import Membership, OperatorContract, OperatorOrg
from civic311.db import db
from civic311.tenants import domains as domain_service
from civic311.tenants import settings_service as svc
from civic311.tenants import staff_service
from civic311.tenants.catalog import Category, Department, RoutingRule, Zone
from civic311.tenants.forms import DomainForm, InviteForm, OperatorForm, PlainForm, RuleForm, RuleTestForm
from civic311.tenants.settings_views import _department_choices, back, bp, load
from civic311.web.city import not_for_support
from civic311.web.hosts import tenant_url

# --- 6. routing rules -----------------------------------------------------------------------------

def _rule_forms(rule_form=None, test_form=None):
    categories = [(str(c.id), c.name) for c in db.session.scalars(select(Category).order_by(Category.name))]
    zones = [(str(z.id), z.name) for z in db.session.scalars(select(Zone).order_by(Zone.name))]
    rule_form = rule_form or RuleForm(prefix="rule")
    rule_form.category_ids.choices = categories
    rule_form.zone_ids.choices = zones
    rule_form.department_id.choices = [("", _("Keep the category's department"))] + _department_choices()[1:]
    test_form = test_form or RuleTestForm(prefix="test")
    test_form.category_id.choices = categories
    return rule_form, test_form


def _routing_page(status=200, rule_form=None, test_form=None, result=None):
    rule_form, test_form = _rule_forms(rule_form, test_form)
    rules = list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.created_at)))
    names = {str(c.id): c.name for c in db.session.scalars(select(Category))}
    names |= {str(z.id): z.name for z in db.session.scalars(select(Zone))}
    names |= {str(d.id): d.name for d in db.session.scalars(select(Department))}
    return render_template("settings/routing.html", rules=rules, rule_form=rule_form, test_form=test_form,
                           result=result, names=names, plain=PlainForm()), status


@bp.get("/routing")
def routing():
    return _routing_page()


@bp.post("/routing/rules")
def add_rule():
    form, _test = _rule_forms(RuleForm(prefix="rule"))
    if not form.validate_on_submit():
        return _routing_page(422, rule_form=form)
    conditions: dict = {}
    if form.category_ids.data:
        conditions["category_ids"] = [c for c in form.category_ids.data if c in dict(form.category_ids.choices)]
    if form.zone_ids.data:
        conditions["zone_ids"] = [z for z in form.zone_ids.data if z in dict(form.zone_ids.choices)]
    keywords = [k.strip().lower() for k in (form.keywords.data or "").split(",") if k.strip()]
    if keywords:
        conditions["keywords"] = keywords
    if form.after_hours.data:
        conditions["after_hours"] = form.after_hours.data == "1"
    actions: dict = {}
    if form.department_id.data:
        actions["department_id"] = form.department_id.data
    if form.priority.data:
        actions["priority"] = form.priority.data
    if form.sla_value.data:
        actions.update(sla_value=form.sla_value.data, sla_unit=form.sla_unit.data)
    try:
        svc.save_rule(None, form.name.data, conditions, actions)
    except svc.SettingsError as exc:
        form.department_id.errors.append(str(exc))
        return _routing_page(422, rule_form=form)
    flash(_("Rule added. It applies to the next request filed."))
    return back("settings.routing")


@bp.post("/routing/rules/<rule_id>/<action>")
def change_rule(rule_id: str, action: str):
    rule = load(RoutingRule, rule_id)
    if not PlainForm().validate_on_submit() or action not in ("up", "down", "delete", "on", "off"):
        abort(400)
    if action == "delete":
        if not svc.delete_rule(rule):
            flash(_("“%(rule)s” routed requests that still name it, so it is kept and switched off.", rule=rule.name))
    elif action in ("on", "off"):
        svc.set_rule_active(rule, action == "on")
    else:
        svc.move_rule(rule, -1 if action == "up" else 1)
    return back("settings.routing")


@bp.post("/routing/test")
def test_rule():
    """Where a request would go, and why: the routing engine itself answers, nothing is saved."""
    from civic311.platform.routing import RoutingInput, route

    _rule, form = _rule_forms(test_form=RuleTestForm(prefix="test"))
    if not form.validate_on_submit():
        return _routing_page(422, test_form=form)
    category = load(Category, form.category_id.data)
    lat = float(form.lat.data) if form.lat.data is not None else None
    lng = float(form.lng.data) if form.lng.data is not None else None
    decision = route(g.tenant, RoutingInput(category, "portal", form.text.data or "", lat, lng))
    department = db.session.get(Department, (g.tenant.id, decision.department_id)) if decision.department_id else None
    return _routing_page(test_form=form, result={"decision": decision, "department": department})


# --- 7. staff and contact centers -----------------------------------------------------------------

def _staff_page(status=200, invite_form=None, operator_form=None):
    invite_form = invite_form or InviteForm(prefix="invite")
    invite_form.department_ids.choices = _department_choices()[1:]
    operator_form = operator_form or OperatorForm(prefix="op")
    orgs = list(db.session.scalars(select(OperatorOrg).order_by(OperatorOrg.name)))
    operator_form.operator_org_id.choices = [(str(o.id), o.name) for o in orgs]
    members = list(db.session.scalars(select(Membership).where(Membership.revoked_at.is_(None))))
    contracts = list(db.session.scalars(select(OperatorContract).where(OperatorContract.revoked_at.is_(None))))
    return render_template("settings/staff.html", members=members, contracts=contracts, invite_form=invite_form,
                           operator_form=operator_form, plain=PlainForm(),
                           dept_names={str(d.id): d.name for d in db.session.scalars(select(Department))}), status


@bp.get("/staff")
def staff():
    return _staff_page()


@bp.post("/staff/invite")
@not_for_support
def invite():
    form = InviteForm(prefix="invite")
    form.department_ids.choices = _department_choices()[1:]
    if not form.validate_on_submit():
        return _staff_page(422, invite_form=form)
    valid = dict(form.department_ids.choices)
    try:
        staff_service.invite(g.tenant, form.email.data, form.name.data, form.role.data,
                             [uuid.UUID(d) for d in form.department_ids.data if d in valid])
    except svc.SettingsError as exc:
        form.email.errors.append(str(exc))
        return _staff_page(422, invite_form=form)
    flash(_("Invitation sent to %(email)s.", email=form.email.data))
    return back("settings.staff")


@bp.post("/staff/<membership_id>/revoke")
@not_for_support
def revoke(membership_id: str):
    membership = load(Membership, membership_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        staff_service.revoke(membership)
    except svc.SettingsError as exc:
        flash(str(exc), "error")
        return _staff_page(422)
    flash(_("Access removed."))
    return back("settings.staff")


@bp.post("/staff/operators")
@not_for_support
def grant_operator():
    form = OperatorForm(prefix="op")
    orgs = {str(o.id): o for o in db.session.scalars(select(OperatorOrg))}
    form.operator_org_id.choices = [(k, o.name) for k, o in orgs.items()]
    if not form.validate_on_submit():
        return _staff_page(422, operator_form=form)
    try:
        staff_service.grant_operator(orgs[form.operator_org_id.data], form.phone_line.data)
    except svc.SettingsError as exc:
        form.operator_org_id.errors.append(str(exc))
        return _staff_page(422, operator_form=form)
    flash(_("%(org)s can now take calls for the city.", org=orgs[form.operator_org_id.data].name))
    return back("settings.staff")


@bp.post("/staff/operators/<contract_id>/revoke")
@not_for_support
def revoke_operator(contract_id: str):
    contract = load(OperatorContract, contract_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    staff_service.revoke_operator(contract)
    flash(_("The contact center's access is removed."))
    return back("settings.staff")


# --- 8. knowledge base ----------------------------------------------------------------------------

def _kb():
    try:
        from civic311.kb import service as kb_service
    except ImportError:
        return None
    return kb_service


@bp.get("/kb")
def kb():
    kb_service = _kb()
    suggestions = []
    if kb_service is not None and hasattr(kb_service, "suggested_articles"):
        suggestions = kb_service.suggested_articles()
    return render_template("settings/kb.html", kb_ready=kb_service is not None, suggestions=suggestions,
                           plain=PlainForm())


@bp.post("/kb/adopt")
def kb_adopt():
    kb_service = _kb()
    if kb_service is None or not hasattr(kb_service, "adopt_suggested") or not PlainForm().validate_on_submit():
        abort(400)
    chosen = request.form.getlist("suggestion")
    if not chosen:
        flash(_("Choose at least one suggested answer to add."), "error")
        return kb(), 422
    added = kb_service.adopt_suggested(chosen)
    flash(_("%(n)s articles added to the knowledge base.", n=added if isinstance(added, int) else len(added)))
    return back("settings.kb")


# --- 9. custom domain -----------------------------------------------------------------------------

def _domain_page(status=200, form=None):
    return render_template("settings/domain.html", form=form or DomainForm(), plain=PlainForm(),
                           domains=domain_service.domains_of_current_city(),
                           record_name=domain_service.record_name), status


@bp.get("/domain")
def domain():
    return _domain_page()


@bp.post("/domain")
def add_domain():
    form = DomainForm()
    if form.hostname.data:
        form.hostname.data = form.hostname.data.strip().lower()
    if not form.validate_on_submit():
        return _domain_page(422, form)
    try:
        domain_service.add_domain(g.tenant, form.hostname.data)
    except svc.SettingsError as exc:
        form.hostname.errors.append(str(exc))
        return _domain_page(422, form)
    flash(_("Now add the TXT record below at your DNS provider, then press “Check now”."))
    return back("settings.domain")


@bp.post("/domain/<domain_id>/<action>")
def domain_action(domain_id: str, action: str):
    try:
        item = domain_service.domain_of_current_city(uuid.UUID(domain_id))
    except ValueError:
        item = None
    if item is None:
        abort(404)
    if not PlainForm().validate_on_submit() or action not in ("check", "remove"):
        abort(400)
    if action == "remove":
        domain_service.remove_domain(item)
    else:
        domain_service.request_check(item)
        flash(_("Checking the DNS record. This page shows the result; reload it in a moment."))
    return back("settings.domain")


# --- 10. preview and go live ----------------------------------------------------------------------

@bp.route("/go-live", methods=["GET", "POST"])
def go_live():
    from civic311.signup.gate import preview_url

    form = PlainForm()
    portal = tenant_url(g.tenant, "/") if g.tenant.live_at else preview_url(g.tenant)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if getattr(current_user, "email_verified_at", None) is None:
            flash(_("Confirm your e-mail address first: open the link we sent to %(email)s.",
                    email=current_user.email), "error")
            return render_template("settings/go_live.html", form=form, portal=portal), 422
        try:
            svc.go_live(g.tenant)
        except svc.SettingsError as exc:
            flash(str(exc), "error")
            return render_template("settings/go_live.html", form=form, portal=portal), 422
        flash(_("%(city)s is live. Residents can file requests now.", city=g.tenant.title))
        return back("settings.go_live")
    return render_template("settings/go_live.html", form=form, portal=portal,
                           categories_url=url_for("settings.catalog"))
