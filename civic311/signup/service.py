"""Self-service signup: a city, its first admin, and the e-mails that prove who they are.

Tokens are signed (itsdangerous), not stored: the verification token names the user and the address it
was sent to; the invitation token also carries a fingerprint of the password hash, so it works once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from civic311 import audit
from civic311.accounts import service as accounts
from civic311.accounts.models import User
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from civic311.tenants import service as tenants
from civic311.tenants.models import Tenant
from civic311.web.hosts import platform_url

VERIFY_SALT = "civic311-verify-email"
INVITE_SALT = "civic311-invitation"
VERIFY_MAX_AGE = 7 * 24 * 3600
INVITE_MAX_AGE = 14 * 24 * 3600


class SignupError(ValueError):
    """Refused signup input: `field` names the form field the message belongs next to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Signup:
    city_name: str
    slug: str
    admin_name: str
    email: str
    password: str
    timezone: str
    languages: list[str]


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def slug_message(slug: str) -> str | None:
    problem = tenants.slug_problem(slug)
    if problem is None:
        return None
    return {
        "that address is reserved": _("That address is reserved. Choose another."),
        "that address is already taken": _("That address is already taken by another city."),
    }.get(problem, _("Use 3 to 40 lowercase letters, digits and single hyphens, starting with a letter."))


def sign_up(data: Signup) -> tuple[Tenant, User]:
    """Create the city (in trial) and its first admin; send the verification e-mail."""
    slug = data.slug.strip().lower()
    problem = slug_message(slug)
    if problem:
        raise SignupError("slug", problem)
    if accounts.find_user(data.email):
        raise SignupError("email", _("An account with this e-mail already exists. Sign in instead."))
    languages = [code for code in data.languages if code in ("en", "es")] or ["en"]
    tenant = tenants.create_tenant(slug=slug, name=data.city_name, timezone=data.timezone, locales=languages,
                                   live=False)
    tenant.default_locale = languages[0]
    tenant.setup_state = {"done": [], "started_at": utcnow().isoformat()}
    user = accounts.create_user(data.email, data.admin_name.strip(), data.password, locale=languages[0])
    with tenant_context(tenant.id):
        accounts.grant_membership(user, "admin")
        tenant.contact_email = user.email
        tenant.billing_email = user.email
        audit.record("tenant.signed_up", target=tenant, details={"admin": user.email},
                     actor_label=f"{user.name} <{user.email}> (signup)")
        db.session.flush()
    send_verification(user)
    return tenant, user


def send_verification(user: User) -> None:
    from civic311.platform.notifications.mail import send_now

    token = _serializer(VERIFY_SALT).dumps({"u": str(user.id), "e": user.email})
    link = platform_url(f"/signup/verify/{token}")
    text = render_template("signup/email_verify.txt", user=user, link=link)
    send_now(user.email, _("Confirm your e-mail address for civic311"), text)


def verify_email(token: str) -> User | None:
    """The user whose address the token proves, now marked verified; None for a bad or old link."""
    try:
        data = _serializer(VERIFY_SALT).loads(token, max_age=VERIFY_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, uuid.UUID(data["u"]))
    if user is None or user.email != data.get("e"):
        return None
    user.email_verified_at = user.email_verified_at or utcnow()
    return user


def invitation_token(user: User, tenant: Tenant) -> str:
    return _serializer(INVITE_SALT).dumps({"u": str(user.id), "t": str(tenant.id), "h": user.password_hash[-16:]})


def invitation_for(token: str) -> tuple[User, Tenant] | None:
    try:
        data = _serializer(INVITE_SALT).loads(token, max_age=INVITE_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, uuid.UUID(data["u"]))
    tenant = db.session.get(Tenant, uuid.UUID(data["t"]))
    if user is None or tenant is None or user.password_hash[-16:] != data.get("h"):
        return None  # already accepted (the password changed) or never valid
    return user, tenant


def accept_invitation(user: User, tenant: Tenant, name: str, password: str) -> None:
    from civic311.accounts.passwords import hash_password

    user.name = name.strip()
    user.password_hash = hash_password(password)
    user.email_verified_at = user.email_verified_at or utcnow()
    with tenant_context(tenant.id):
        audit.record("membership.accepted", target=user, details={"user": user.email},
                     actor_label=f"{user.name} <{user.email}>")
        db.session.flush()
