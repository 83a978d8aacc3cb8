"""Staff sign-in on the platform host: password, then a TOTP code where 2FA is required."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from civic311.accounts import service
from civic311.accounts.access import cities_for
from civic311.accounts.forms import LoginForm, TotpForm
from civic311.accounts.models import User
from civic311.accounts.passwords import totp_step_if_valid, totp_uri
from civic311.db import db, utcnow
from civic311.web import throttle
from civic311.web.hosts import restrict_to

bp = Blueprint("accounts", __name__)
restrict_to(bp, "platform")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str | None:
    return target if target and target.startswith("/") and not target.startswith("//") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        settings = current_app.config["CIVIC311"]
        email = form.email.data.strip().lower()
        if throttle.too_many(email, _client_ip(), settings.login_attempts_per_15min):
            form.email.errors.append(_("Too many failed attempts. Wait 15 minutes and try again."))
            return render_template("accounts/login.html", form=form), 429
        user = service.authenticate(email, form.password.data)
        if user is None:
            throttle.record_failure(email, _client_ip())
            g.commit_anyway = True
            form.password.errors.append(_("That e-mail and password do not match an account."))
            return render_template("accounts/login.html", form=form), 401
        throttle.clear(email)
        session["pending_user"] = str(user.id)
        session["pending_next"] = _safe_next(request.args.get("next"))
        if user.totp_enabled_at or user.needs_totp or len(cities_for(user)) > 1:  # a reach across cities
            return redirect(url_for("accounts.second_factor"))
        return _finish_login(user)
    return render_template("accounts/login.html", form=form)


def _pending_user() -> User:
    raw = session.get("pending_user")
    user = db.session.get(User, uuid.UUID(raw)) if raw else None
    if user is None:
        abort(404)
    return user


@bp.route("/login/2fa", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    enrolling = user.totp_enabled_at is None
    if enrolling and not user.totp_secret:
        service.start_totp_enrolment(user)
    form = TotpForm()
    if form.validate_on_submit():
        settings = current_app.config["CIVIC311"]
        if throttle.too_many(user.email, _client_ip(), settings.login_attempts_per_15min):
            form.code.errors.append(_("Too many failed attempts. Wait 15 minutes and try again."))
            return render_template("accounts/totp.html", form=form, enrolling=enrolling, user=user,
                                   uri=totp_uri(user.totp_secret, user.email) if enrolling else None), 429
        step = totp_step_if_valid(user.totp_secret, form.code.data, user.totp_last_step)
        if step is None:
            throttle.record_failure(user.email, _client_ip())
            g.commit_anyway = True
            form.code.errors.append(_("That code is not valid. Check your device's clock and try again."))
            return render_template("accounts/totp.html", form=form, enrolling=enrolling, user=user,
                                   uri=totp_uri(user.totp_secret, user.email)), 401
        user.totp_last_step = step
        if enrolling:
            user.totp_enabled_at = utcnow()
        return _finish_login(user)
    return render_template("accounts/totp.html", form=form, enrolling=enrolling, user=user,
                           uri=totp_uri(user.totp_secret, user.email) if enrolling else None)


def _finish_login(user: User):
    next_url = session.pop("pending_next", None)
    session.pop("pending_user", None)
    login_user(user)
    user.last_login_at = utcnow()
    return redirect(next_url or url_for("accounts.start"))


@bp.get("/start")
@login_required
def start():
    """Where each kind of user begins their day."""
    if current_user.is_platform_admin and "admin.index" in current_app.view_functions:
        return redirect(url_for("admin.index"))
    if current_user.operator_org_id and "ops.index" in current_app.view_functions:
        return redirect(url_for("ops.index"))
    cities = cities_for(current_user)
    if len(cities) == 1 and "console.queue" in current_app.view_functions:
        return redirect(url_for("console.queue", slug=cities[0][0].slug))
    return render_template("accounts/cities.html", cities=cities)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("accounts.login"))
