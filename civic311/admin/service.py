"""Every write a platform admin makes, each audited under their own name (and in the city's own log
when it concerns one city, so the city sees what the platform did)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic311 import audit
from civic311.accounts import service as accounts
from civic311.accounts.models import OperatorOrg, User
from civic311.actor import current_actor
from civic311.audit import PlatformAuditEvent
from civic311.billing import entitlements, gateway
from civic311.billing import service as billing
from civic311.billing.models import StripeEvent
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from civic311.tenants.service import set_status

SUPPORT_HOURS = (1, 4, 24, 72)


class AdminError(ValueError):
    pass


def platform_audit(action: str, tenant: Tenant | None = None, details: dict | None = None) -> None:
    who = current_actor()
    db.session.add(PlatformAuditEvent(
        actor_user_id=who.user_id, actor_label=who.label, subject_tenant_id=tenant.id if tenant else None,
        action=action, details=details or {},
    ))
    if tenant is not None:
        with tenant_context(tenant.id):
            audit.record(action, target=tenant, details=details)
            db.session.flush()  # inside the city's context: the flush guard and row-level security check it here


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise AdminError(_l("Give a reason."))
    return reason


def suspend_city(tenant: Tenant, reason: str) -> None:
    """Suspend for a reason other than billing: a payment does not lift it, only reactivation."""
    reason = _reason(reason)
    tenant.feature_flags = {**tenant.feature_flags, billing.ADMIN_HOLD: True}
    set_status(tenant, "suspended", f"platform admin: {reason}")
    platform_audit("tenant.suspended", tenant, {"reason": reason})


def reactivate_city(tenant: Tenant, reason: str) -> str:
    """Lift a suspension. The status goes back to what billing says: with a subscription, the status it
    implies when re-read from Stripe now (active, past_due with a fresh grace period, canceled...); without
    one, trial."""
    reason = _reason(reason)
    if tenant.status != "suspended":
        raise AdminError(_l("Only a suspended city can be reactivated."))
    subscription = None
    if tenant.stripe_subscription_id:
        try:
            subscription = gateway.subscription(tenant.stripe_subscription_id)
        except gateway.GatewayError as exc:
            raise AdminError(_l("Stripe could not be asked about the subscription (%(why)s): try again later.",
                                why=str(exc))) from exc
    tenant.feature_flags = {k: v for k, v in tenant.feature_flags.items() if k != billing.ADMIN_HOLD}
    if subscription is not None:
        status = billing.apply_subscription(tenant, subscription, reason=f"platform admin: {reason}",
                                            lift_suspension=True)
    else:
        if tenant.trial_ends_at and tenant.trial_ends_at < utcnow():
            tenant.trial_ends_at = utcnow() + timedelta(days=7)  # a week to subscribe, not an instant re-lapse
        status = "trial"
        set_status(tenant, status, f"platform admin: {reason}")
    platform_audit("tenant.reactivated", tenant, {"reason": reason, "status": status})
    return status


def extend_trial(tenant: Tenant, days: int, reason: str) -> datetime:
    reason = _reason(reason)
    try:
        until = billing.extend_trial(tenant, days)
    except billing.BillingError as exc:
        raise AdminError(str(exc)) from exc
    platform_audit("tenant.trial_extended", tenant, {"days": days, "until": until.isoformat(), "reason": reason})
    return until


def set_feature_flag(tenant: Tenant, name: str, enabled: bool) -> None:
    """Switch one feature on or off for one city, whatever its plan says (billing/entitlements.py)."""
    name = (name or "").strip().lower()
    if name not in entitlements.FEATURES:
        raise AdminError(_l("Choose one of the features the plans offer."))
    flags = dict(tenant.feature_flags)
    flags[name] = enabled
    tenant.feature_flags = flags
    platform_audit("tenant.feature_flag", tenant, {"flag": name, "enabled": enabled})


def remove_feature_flag(tenant: Tenant, name: str) -> None:
    if name in tenant.feature_flags and not name.startswith("_"):
        tenant.feature_flags = {k: v for k, v in tenant.feature_flags.items() if k != name}
        platform_audit("tenant.feature_flag_removed", tenant, {"flag": name})


# --- support access: the city decides ------------------------------------------------------------------

def allow_support_access(tenant: Tenant, hours: int) -> datetime:
    """A city admin lets platform support in for a limited time (runs inside the city)."""
    if hours not in SUPPORT_HOURS:
        raise AdminError(_l("Choose one of the offered durations."))
    tenant.support_access_until = utcnow() + timedelta(hours=hours)
    audit.record("support_access.granted", target=tenant,
                 details={"hours": hours, "until": tenant.support_access_until.isoformat()})
    return tenant.support_access_until


def end_support_access(tenant: Tenant) -> None:
    tenant.support_access_until = None
    audit.record("support_access.ended", target=tenant)


# --- failed work ----------------------------------------------------------------------------------------

def retry_stripe_event(event: StripeEvent) -> None:
    from civic311.billing import webhooks

    webhooks.retry(event)
    platform_audit("stripe_event.retried", None, {"event": event.stripe_id, "type": event.type})


def retry_rq_job(app, queue_name: str, job_id: str) -> bool:
    """Requeue one failed RQ job. Without Redis jobs run inline and there is no failed-job registry."""
    from rq.registry import FailedJobRegistry

    from civic311.jobs import QUEUES, rq_queue

    if not app.config["CIVIC311"].redis_url:
        raise AdminError(_l("Jobs run inline here (no Redis is configured), so there is no failed job to retry."))
    if queue_name not in QUEUES:
        return False

    queue = rq_queue(app, queue_name)
    registry = FailedJobRegistry(queue=queue)
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    platform_audit("job.retried", None, {"queue": queue_name, "job": job_id})
    return True


# --- operator organizations -----------------------------------------------------------------------------

def create_operator_org(name: str, slug: str) -> OperatorOrg:
    name, slug = (name or "").strip(), (slug or "").strip().lower()
    if not name or not re.match(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$", slug):
        raise AdminError(_l("Give a name and a short address of lowercase letters, digits and hyphens."))
    if db.session.scalar(select(OperatorOrg.id).where(OperatorOrg.slug == slug)):
        raise AdminError(_l("That address is already taken."))
    org = accounts.create_operator_org(name, slug)
    platform_audit("operator_org.created", None, {"org": slug, "name": name})
    return org


def invite_operator_admin(org: OperatorOrg, email: str, name: str) -> tuple[User, str]:
    """Make the organization's admin an account and e-mail a one-time password (TOTP is set up at first
    sign-in, as for everyone whose reach spans cities)."""
    temporary = secrets.token_urlsafe(12)
    try:
        user = accounts.create_user(email, name, temporary, operator_org=org, operator_role="admin")
    except accounts.AccountError as exc:
        raise AdminError(str(exc)) from exc
    platform_audit("operator_org.admin_invited", None, {"org": org.slug, "email": user.email})
    _mail(user.email, f"You are invited to run {org.name} on civic311",
          f"Hello {user.name},\n\nYou can now sign in to civic311 as the administrator of {org.name}.\n"
          f"E-mail: {user.email}\nOne-time password: {temporary}\n\n"
          "At your first sign-in you will set up a code app (two-factor authentication).\n")
    return user, temporary


def _mail(to: str, subject: str, text: str) -> None:
    try:
        from civic311.platform.notifications.mail import send_now
    except ModuleNotFoundError:  # pragma: no cover - notifications not in this tree
        return
    send_now(to, subject, text)
