"""Sign-in sessions, CSRF and the headers every response carries.

Sessions are bound to the host they were made on: the cookie has no Domain (so a city's host never
sees the platform's cookie), and the session remembers its host and is dropped if replayed elsewhere.
On the platform host the signed-in principal is a staff `User`; on a city's host, a `ResidentAccount`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Flask, Request, Response, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from civic311.actor import Actor, set_request_actor
from civic311.db import db, utcnow

login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    from civic311.web import hosts

    settings = app.config["CIVIC311"]
    app.permanent_session_lifetime = timedelta(minutes=settings.session_minutes)
    hosts.init_app(app)  # the tenant must be known before the user is loaded
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)

    app.session_interface = ApiAwareSessionInterface()

    @app.before_request
    def _bind_session_to_host():
        if is_api_request():
            return
        host = hosts.host_name(request.host)
        if session.get("_host") not in (None, host):
            session.clear()
        session["_host"] = host
        session.permanent = True
        last = session.get("_seen")
        now = int(utcnow().timestamp())
        if last and now - last > settings.session_minutes * 60 and current_user.is_authenticated:
            logout_user()
            session.clear()
            session["_host"] = host
        session["_seen"] = now

    @app.before_request
    def _set_actor():
        # An API call acts as its key (open311.site.require_key), never as a signed-in person.
        set_request_actor(None if is_api_request() else actor_for_request())

    @app.teardown_request
    def _clear_actor(exc):
        set_request_actor(None)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'self'",
        )
        return response


API_PREFIX = "/open311/"


def is_api_request() -> bool:
    """An Open311 API call: machines with keys, no sign-in, no session, no cookie."""
    return request.path.startswith(API_PREFIX)


class ApiSession(SecureCookieSession):
    """The session of an API call: always empty, never read from nor written to a cookie."""


class ApiAwareSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for pages; none for the API, whose clients authenticate with a key. An API
    response never carries Set-Cookie (so caches and clients see the same bytes for everyone), and a
    browser's cookie sent along is neither verified nor refreshed."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return ApiSession()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, ApiSession):
            return
        super().save_session(app, session, response)


@login_manager.user_loader
def _load_principal(raw_id: str):
    from civic311.accounts.models import ResidentAccount, User

    site = g.get("site")
    try:
        kind, ident, epoch = raw_id.split(":")
        ident_uuid = uuid.UUID(ident)
    except ValueError:
        return None
    if kind == "u" and site is not None and site.is_platform:
        user = db.session.get(User, ident_uuid)
        if user and str(user.session_epoch) == epoch and user.is_active:
            return user
    if kind == "r" and site is not None and not site.is_platform:
        from sqlalchemy import select

        account = db.session.scalar(select(ResidentAccount).where(ResidentAccount.id == ident_uuid))
        if account and str(account.session_epoch) == epoch:
            return account
    return None


def actor_for_request() -> Actor | None:
    from civic311.accounts.models import User

    if not current_user.is_authenticated:
        return None
    if isinstance(current_user._get_current_object(), User):
        return Actor(
            label=f"{current_user.name} <{current_user.email}>",
            user_id=current_user.id,
            operator_org_id=current_user.operator_org_id,
            support_access=bool(g.get("support_access")),
            is_staff=True,
        )
    return Actor(label=f"resident {current_user.email}")
