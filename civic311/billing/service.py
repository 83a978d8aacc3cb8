"""Every billing write, and the plain questions the rest of the code asks (`in_good_standing`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civic311 import audit
from civic311.accounts.models import Membership, User
from civic311.billing import gateway, plans
from civic311.billing.models import BillingNotice
from civic311.db import db, utcnow
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from civic311.tenants.service import set_status

log = logging.getLogger("civic311.billing")

# What a Stripe subscription status means for the city. "incomplete" (Checkout not paid yet) changes nothing.
STATUS_FROM_STRIPE = {
    "trialing": "trial",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "paused": "suspended",
    "canceled": "canceled",
    "incomplete_expired": "canceled",
}
# A platform admin's suspension is not lifted by a payment: only by a platform admin.
ADMIN_HOLD = "_admin_hold"


class BillingError(ValueError):
    pass


@dataclass(frozen=True)
class Usage:
    seats: int
    seat_allowance: int | None
    requests: int
    request_allowance: int | None

    @property
    def seats_over(self) -> bool:
        return self.seat_allowance is not None and self.seats > self.seat_allowance

    @property
    def requests_over(self) -> bool:
        return self.request_allowance is not None and self.requests > self.request_allowance


def in_good_standing(tenant: Tenant) -> bool:
    return tenant.status in ("trial", "active")


def month_start(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def seats_in_use(tenant: Tenant) -> int:
    with tenant_context(tenant.id):
        return db.session.scalar(select(func.count(Membership.id)).where(Membership.revoked_at.is_(None)))


def requests_between(tenant: Tenant, start: datetime, end: datetime) -> int:
    with tenant_context(tenant.id):
        return db.session.scalar(
            select(func.count(ServiceRequest.id)).where(
                ServiceRequest.created_at >= start, ServiceRequest.created_at < end
            )
        )


def usage(tenant: Tenant) -> Usage:
    plan = plans.get_plan(tenant.plan_code)
    now = utcnow()
    return Usage(
        seats=seats_in_use(tenant),
        seat_allowance=plan.staff_seats if plan else None,
        requests=requests_between(tenant, month_start(now), now + timedelta(seconds=1)),
        request_allowance=plan.monthly_requests if plan else None,
    )


def billing_contact(tenant: Tenant) -> str | None:
    """Who hears about the account: the billing e-mail, else the city's contact, else its first admin."""
    if tenant.billing_email or tenant.contact_email:
        return tenant.billing_email or tenant.contact_email
    with tenant_context(tenant.id):
        return db.session.scalar(
            select(User.email).join(Membership, Membership.user_id == User.id)
            .where(Membership.role == "admin", Membership.revoked_at.is_(None)).order_by(Membership.created_at)
        )


def send_notice(tenant: Tenant, kind: str, subject: str, text: str) -> bool:
    """E-mail the billing contact once per (city, kind). Returns False when it was already sent."""
    to = billing_contact(tenant)
    if db.session.scalar(select(BillingNotice.id).where(BillingNotice.subject_tenant_id == tenant.id,
                                                        BillingNotice.kind == kind)):
        return False
    db.session.add(BillingNotice(subject_tenant_id=tenant.id, kind=kind, sent_to=to, subject=subject))
    db.session.flush()  # the unique key refuses a concurrent twin before any e-mail leaves
    if to:
        try:
            from civic311.platform.notifications.mail import send_now
        except ModuleNotFoundError:  # the notifications package is not in this tree: the row is the record
            log.info("billing notice to %s: %s", to, subject)
        else:
            send_now(to, subject, text)
    return True


def set_billing_email(tenant: Tenant, email: str) -> None:
    """Who hears about payments and deletion notices (runs inside the city)."""
    previous = tenant.billing_email
    tenant.billing_email = email.strip().lower()
    audit.record("billing.contact_changed", target=tenant, details={"from": previous, "to": tenant.billing_email})


# --- Stripe: checkout, portal, plan changes ---------------------------------------------------------------

def ensure_customer(tenant: Tenant) -> str:
    if not tenant.stripe_customer_id:
        tenant.stripe_customer_id = gateway.create_customer(
            tenant_id=str(tenant.id), slug=tenant.slug, name=tenant.name, email=billing_contact(tenant)
        )
    return tenant.stripe_customer_id


def start_checkout(tenant: Tenant, plan_code: str, interval: str, *, success_url: str, cancel_url: str) -> str:
    """A Stripe Checkout page for the subscription; the trial's remaining days carry over."""
    plan = _plan_or_error(plan_code, interval)
    customer = ensure_customer(tenant)
    trial_end = tenant.trial_ends_at if tenant.status == "trial" else None
    if trial_end is not None and trial_end < utcnow() + timedelta(days=2):
        trial_end = None  # Stripe wants a trial to end at least 48 hours from now
    url = gateway.checkout_url(
        customer=customer, tenant_id=str(tenant.id),
        base_price=gateway.price_id(plan.lookup_key(interval)),
        metered_price=gateway.price_id(plan.metered_lookup_key),
        seats=seats_in_use(tenant), trial_end=trial_end, success_url=success_url, cancel_url=cancel_url,
    )
    with tenant_context(tenant.id):
        audit.record("billing.checkout_started", target=tenant, details={"plan": plan.code, "interval": interval})
        db.session.flush()
    return url


def portal(tenant: Tenant, return_url: str) -> str:
    return gateway.portal_url(customer=ensure_customer(tenant), return_url=return_url)


def change_plan(tenant: Tenant, plan_code: str, interval: str) -> None:
    """Move an existing subscription to another plan or interval, prorated."""
    plan = _plan_or_error(plan_code, interval)
    if not tenant.stripe_subscription_id:
        raise BillingError(_l("There is no subscription yet: subscribe first."))
    current = gateway.subscription(tenant.stripe_subscription_id)
    base, metered = split_items(current)
    items = []
    if base:
        items.append({"id": base["id"], "price": gateway.price_id(plan.lookup_key(interval)),
                      "quantity": max(seats_in_use(tenant), 1)})
    if metered:
        items.append({"id": metered["id"], "price": gateway.price_id(plan.metered_lookup_key)})
    updated = gateway.change_subscription_prices(tenant.stripe_subscription_id, items)
    previous = tenant.plan_code
    apply_subscription(tenant, updated, reason="plan changed")
    with tenant_context(tenant.id):
        audit.record("billing.plan_changed", target=tenant,
                     details={"from": previous, "to": plan.code, "interval": interval})
        db.session.flush()


def _plan_or_error(plan_code: str, interval: str) -> plans.Plan:
    plan = plans.get_plan(plan_code)
    if plan is None or interval not in plans.INTERVALS:
        raise BillingError(_l("Choose one of the plans and a billing period."))
    return plan


def split_items(subscription: dict) -> tuple[dict | None, dict | None]:
    """(the licensed seat item, the metered requests item) of a subscription."""
    base = metered = None
    for item in subscription.get("items", {}).get("data", []):
        usage_type = (item.get("price", {}).get("recurring") or {}).get("usage_type")
        if usage_type == "metered":
            metered = item
        else:
            base = item
    return base, metered


# --- the city follows its subscription --------------------------------------------------------------------

def _when(ts: int | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts else None


def apply_subscription(tenant: Tenant, sub: dict, *, reason: str, lift_suspension: bool = False) -> str:
    """Mirror a subscription (freshly read from Stripe) onto the city. Returns the city's status.

    `lift_suspension`: a platform admin reactivates, so a past-due subscription makes the city past_due
    again (a fresh grace period) rather than staying suspended."""
    if tenant.stripe_subscription_id and sub["id"] != tenant.stripe_subscription_id and sub["status"] == "canceled":
        return tenant.status  # an old subscription ending says nothing about the current one
    base, _ = split_items(sub)
    plan = plans.plan_for_lookup_key((base or {}).get("price", {}).get("lookup_key"))
    if plan is not None:
        tenant.plan_code = plan.code
    tenant.stripe_subscription_id = sub["id"]
    tenant.stripe_customer_id = sub.get("customer") or tenant.stripe_customer_id
    wanted = STATUS_FROM_STRIPE.get(sub["status"])
    if wanted is None:
        return tenant.status
    if sub["status"] == "trialing" and sub.get("trial_end"):
        tenant.trial_ends_at = _when(sub["trial_end"])
    if wanted == "past_due" and tenant.status == "suspended" and not lift_suspension:
        return tenant.status  # the grace period is over; only a payment lifts the suspension
    if tenant.feature_flags.get(ADMIN_HOLD) and wanted != "canceled":
        return tenant.status
    if wanted == "canceled":
        tenant.canceled_at = tenant.canceled_at or _when(sub.get("ended_at") or sub.get("canceled_at")) or utcnow()
    elif tenant.canceled_at is not None:
        tenant.canceled_at = None  # subscribed again before the data was deleted
    was = tenant.status
    set_status(tenant, wanted, reason)
    if wanted == "past_due" and was != "past_due":
        notify_past_due(tenant)
    return tenant.status


def notify_past_due(tenant: Tenant) -> None:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with force_locale(tenant.default_locale):
        subject = _("Payment failed for %(city)s on civic311", city=tenant.title)
        text = _(
            "We could not collect the payment for %(city)s. Nothing has been deleted or hidden: residents can "
            "still report and your staff can still work. Please update the card within %(days)s days, or the "
            "staff console becomes read-only until the invoice is paid.",
            city=tenant.title, days=plans.GRACE_DAYS,
        )
    send_notice(tenant, f"past_due-{tenant.status_changed_at:%Y%m%d}", subject, text)


def extend_trial(tenant: Tenant, days: int) -> datetime:
    """Push the trial's end. With a Stripe subscription the trial lives there (the next webhook mirrors
    Stripe's date back), so a trialing subscription's `trial_end` is moved through the gateway."""
    if not 1 <= days <= 90:
        raise BillingError(_l("A trial can be extended by 1 to 90 days."))
    start = max(tenant.trial_ends_at or utcnow(), utcnow())
    until = start + timedelta(days=days)
    if tenant.stripe_subscription_id:
        try:
            current = gateway.subscription(tenant.stripe_subscription_id)
            if current.get("status") != "trialing":
                raise BillingError(_l("This city's subscription is not in a trial, so there is no trial to extend."))
            updated = gateway.set_trial_end(tenant.stripe_subscription_id, until)
        except gateway.GatewayError as exc:
            raise BillingError(_l("Stripe did not accept the change: %(why)s", why=str(exc))) from exc
        apply_subscription(tenant, updated, reason=f"trial extended by {days} days")
        return tenant.trial_ends_at
    tenant.trial_ends_at = until
    if tenant.status != "trial" and not tenant.stripe_subscription_id:
        set_status(tenant, "trial", f"trial extended by {days} days")
    return tenant.trial_ends_at
