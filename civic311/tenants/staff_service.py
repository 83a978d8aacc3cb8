"""Inviting a city's staff and granting a contact center access: writes, each audited."""

from __future__ import annotations

import secrets
import uuid

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from civic311.accounts import service as accounts
from civic311.accounts.models import Membership, OperatorContract, OperatorOrg
from civic311.actor import current_actor
from civic311.billing.entitlements import has_feature
from civic311.db import db
from civic311.tenancy import current_tenant_id
from civic311.tenants.models import Tenant
from civic311.tenants.settings_service import SettingsError
from civic311.tenants.urls import platform_url


def invite(city: Tenant, email: str, name: str, role: str, department_ids: list[uuid.UUID]) -> Membership:
    """Give `email` a role in the city; a new person gets an e-mail to choose a password."""
    from civic311.platform.notifications.mail import send_now
    from civic311.signup.service import invitation_token

    email = email.strip().lower()
    user = accounts.find_user(email)
    new_person = user is None
    if user is not None and db.session.scalar(
        select(Membership.id).where(Membership.user_id == user.id, Membership.revoked_at.is_(None))
    ):
        raise SettingsError("email", _("This person already works in this city."))
    if new_person:
        user = accounts.create_user(email, name.strip(), secrets.token_urlsafe(32), locale=city.default_locale)
    membership = accounts.grant_membership(user, role, department_ids)
    membership.invited_by_id = current_actor().user_id
    inviter = current_actor().label.split(" <")[0]
    if new_person:
        link = platform_url(f"/signup/invitation/{invitation_token(user, city)}")
    else:
        link = platform_url(f"/t/{city.slug}/")
    text = render_template("signup/email_invite.txt", inviter=inviter, city=city.title, role=role, link=link)
    send_now(email, _("You are invited to %(city)s on civic311", city=city.title), text)
    return membership


def revoke(membership: Membership) -> None:
    if membership.user_id == current_actor().user_id:
        raise SettingsError("membership", _("You cannot remove yourself."))
    accounts.revoke_membership(membership)


def grant_operator(org: OperatorOrg, phone_line: str | None) -> OperatorContract:
    if not has_feature(db.session.get(Tenant, current_tenant_id()), "operators"):
        raise SettingsError("operator_org_id", _("Your plan does not include contact-center operators: choose a "
                                                 "plan that does on the billing page."))
    contract = accounts.grant_contract(org, phone_line=phone_line or None)
    contract.granted_by_id = current_actor().user_id
    return contract


def revoke_operator(contract: OperatorContract) -> None:
    accounts.revoke_contract(contract)
