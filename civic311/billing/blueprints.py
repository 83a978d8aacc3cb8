"""The Stripe webhook (platform host) and the city's billing page (`/t/<slug>/billing`, city admins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic311.billing import gateway, plans, service
from civic311.billing.forms import BillingContactForm, EmptyForm, PlanForm
from civic311.web.city import allowed_while_suspended, city_blueprint, require_role
from civic311.web.hosts import platform_url, restrict_to
from civic311.web.security import csrf

webhook_bp = Blueprint("billing_webhook", __name__)
restrict_to(webhook_bp, "platform")

bp = city_blueprint("billing", __name__, url_prefix="/billing")


CITY_STATUS_LABELS = {
    "trial": _l("Trial"), "active": _l("Active"), "past_due": _l("Payment overdue"),
    "suspended": _l("Suspended"), "canceled": _l("Canceled"),
}


@webhook_bp.app_template_global()
def city_status_label(status: str) -> str:
    return str(CITY_STATUS_LABELS.get(status, status))


@webhook_bp.app_template_filter("billing_date")
def billing_date(value: datetime | None) -> str:
    return format_date(value, "medium") if value else ""


@webhook_bp.app_template_filter("billing_ts_date")
def billing_ts_date(ts: int | None) -> str:
    return format_date(datetime.fromtimestamp(ts, UTC), "medium") if ts else ""


@webhook_bp.post("/billing/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    from civic311.billing import webhooks

    try:
        webhooks.receive(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except gateway.BadSignature:
        return {"error": "signature"}, 400
    return {"received": True}


@bp.get("/")
@require_role("admin")
def page(contact_form: BillingContactForm | None = None):
    tenant = g.tenant
    next_invoice, invoices, problem = None, [], None
    if tenant.stripe_customer_id and gateway.configured():
        try:
            if tenant.stripe_subscription_id and tenant.status != "canceled":
                next_invoice = gateway.next_invoice(customer=tenant.stripe_customer_id,
                                                    subscription_id=tenant.stripe_subscription_id)
            invoices = gateway.invoices(tenant.stripe_customer_id)
        except gateway.GatewayError:
            problem = _("Invoices cannot be shown right now. Your service is not affected.")
    form = PlanForm(plan=tenant.plan_code or "city", interval="month")
    return render_template(
        "billing/page.html", tenant=tenant, plan=plans.get_plan(tenant.plan_code), plans=plans,
        usage=service.usage(tenant), next_invoice=next_invoice, invoices=invoices, problem=problem, form=form,
        portal_form=EmptyForm(), configured=gateway.configured(),
        just_subscribed=request.args.get("checkout") == "done",
        contact_form=contact_form or BillingContactForm(billing_email=service.billing_contact(tenant)),
        retention=timedelta(days=plans.RETENTION_DAYS),
    )


@bp.post("/plan")
@allowed_while_suspended
@require_role("admin")
def choose_plan():
    tenant = g.tenant
    form = PlanForm()
    if not form.validate_on_submit():
        flash(_("Choose a plan and a billing period."), "error")
        return redirect(url_for("billing.page"))
    try:
        if tenant.stripe_subscription_id and tenant.status != "canceled":
            service.change_plan(tenant, form.plan.data, form.interval.data)
            flash(_("Your plan is now %(plan)s. The difference is prorated on your next invoice.",
                    plan=plans.PLANS[form.plan.data].name))
            return redirect(url_for("billing.page"))
        back = platform_url(url_for("billing.page"))
        url = service.start_checkout(tenant, form.plan.data, form.interval.data,
                                     success_url=back + "?checkout=done", cancel_url=back)
    except (gateway.GatewayError, service.BillingError):
        flash(_("Billing is unavailable right now. Please try again in a few minutes."), "error")
        return redirect(url_for("billing.page"))
    return redirect(url, code=303)


@bp.post("/contact")
@allowed_while_suspended
@require_role("admin")
def billing_contact():
    form = BillingContactForm()
    if not form.validate_on_submit():
        return page(contact_form=form), 422
    service.set_billing_email(g.tenant, form.billing_email.data)
    flash(_("Billing e-mails now go to %(email)s.", email=g.tenant.billing_email))
    return redirect(url_for("billing.page"))


@bp.post("/portal")
@allowed_while_suspended
@require_role("admin")
def customer_portal():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        url = service.portal(g.tenant, return_url=platform_url(url_for("billing.page")))
    except gateway.GatewayError:
        flash(_("Billing is unavailable right now. Please try again in a few minutes."), "error")
        return redirect(url_for("billing.page"))
    return redirect(url, code=303)


BLUEPRINTS = [webhook_bp, bp]
