"""Blueprints that work inside one city on the platform host, under `/t/{slug}/...`.

The city comes from the path on every request and is checked against the signed-in user's access
(membership, an operator contract, or time-limited support access); no "active city" is kept in the
session. A city the user cannot work in answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from functools import wraps

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from civic311.accounts.access import CityAccess, cities_for, city_access
from civic311.accounts.models import User
from civic311.actor import Actor, set_request_actor
from civic311.db import db
from civic311.tenancy import current_tenant_id, set_request_tenant
from civic311.tenants.models import Tenant
from civic311.web.hosts import restrict_to

READ_ONLY_STATUSES = {"suspended"}
# Called with the city on every request platform support makes inside it (civic311/admin audits visits).
SUPPORT_ENTRY_HOOKS: list = []


def city_blueprint(name: str, import_name: str, url_prefix: str = "", **kw) -> Blueprint:
    """A blueprint mounted at `/t/<slug>{url_prefix}` whose views run inside that city."""
    bp = Blueprint(name, import_name, url_prefix=f"/t/<slug>{url_prefix}", **kw)
    restrict_to(bp, "platform")

    @bp.url_value_preprocessor
    def _pull_slug(endpoint, values):
        g.city_slug = (values or {}).pop("slug", None)

    @bp.url_defaults
    def _add_slug(endpoint, values):
        if "slug" not in values and g.get("city_slug"):
            values["slug"] = g.city_slug

    @bp.before_request
    def _enter_city():
        return enter_city(g.city_slug)

    @bp.context_processor
    def _city_context():
        return {"city": g.get("tenant"), "access": g.get("access")}

    return bp


def enter_city(slug: str | None):
    if not current_user.is_authenticated or not isinstance(current_user._get_current_object(), User):
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    # Whoever reaches more than one city needs two-factor, as sign-in demands; checked here too, for
    # someone made an operator agent or given a second city after signing in.
    if current_user.totp_enabled_at is None and (current_user.needs_totp or len(cities_for(current_user)) > 1):
        logout_user()
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == (slug or "")))
    if tenant is None:
        abort(404)
    set_request_tenant(tenant.id)
    access = city_access(current_user, tenant)
    if access is None:
        set_request_tenant(None)
        abort(404)
    g.tenant = tenant
    g.access = access
    g.support_access = access.via == "support"
    set_request_actor(Actor(
        label=f"{current_user.name} <{current_user.email}>" + (" (platform support)" if g.support_access else ""),
        user_id=current_user.id,
        operator_org_id=current_user.operator_org_id if access.via == "operator" else None,
        support_access=g.support_access,
        is_staff=True,
    ))
    if g.support_access:
        for hook in SUPPORT_ENTRY_HOOKS:
            hook(tenant)
    view = current_app.view_functions.get(request.endpoint)
    if (tenant.status in READ_ONLY_STATUSES and request.method not in ("GET", "HEAD", "OPTIONS")
            and not getattr(view, "allowed_while_suspended", False)):
        abort(403, "This city's account is suspended: the console is read-only until billing is resolved.")
    if g.support_access and getattr(view, "not_for_support", False):
        abort(403, "Platform support cannot change who has access to a city.")
    return None


def allowed_while_suspended(view):
    """A write a suspended city still needs: paying, changing plan, exporting its data."""
    view.allowed_while_suspended = True
    return view


def not_for_support(view):
    """Access grants (staff, roles, API keys) stay with the city's own people, never platform support."""
    view.not_for_support = True
    return view


def city_row_or_404(model, raw_id: str):
    """A row of the current city by its id as written in a URL, or 404: a malformed id, a missing row and
    another city's row all look the same."""
    try:
        key = uuid.UUID(str(raw_id))
    except ValueError:
        abort(404)
    row = db.session.get(model, (current_tenant_id(), key))
    if row is None:
        abort(404)
    return row


def current_access() -> CityAccess:
    access = g.get("access")
    if access is None:
        abort(404)
    return access


def require_role(role: str):
    """The view needs at least `role` (agent < staff < supervisor < admin) in the city."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_access().at_least(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
