"""The optional resident account of one city: sign up, sign in, my requests, language, notifications."""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.portal import public, service
from civic311.portal.blueprint import bp, resident
from civic311.portal.forms import DeflectionForm, PreferencesForm, SignInForm, SignUpForm
from civic311.web import throttle
from civic311.web.i18n import LANGUAGE_NAMES, available_locales


def _language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in available_locales()]


def _safe_next(target: str | None) -> str | None:
    return target if target and target.startswith("/") and not target.startswith("//") else None


def resident_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if resident() is None:
            return redirect(url_for("portal.sign_in", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/account/sign-up", methods=["GET", "POST"])
def sign_up():
    form = SignUpForm()
    form.locale.choices = _language_choices()
    if request.method == "GET":
        form.locale.data = str(session.get("lang") or g.tenant.default_locale)
    if form.validate_on_submit():
        try:
            account = service.sign_up(form.email.data, form.password.data, name=form.name.data,
                                      locale=form.locale.data)
        except service.PortalError as exc:
            form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
        else:
            login_user(account)
            session["lang"] = account.locale
            flash(_("Welcome! Your account is ready."))
            return redirect(url_for("portal.my_requests"))
    status = 400 if form.errors else 200
    return render_template("portal/sign_up.html", form=form), status


@bp.route("/account/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        ip = request.remote_addr or "unknown"
        if throttle.too_many(email, ip, current_app.config["CIVIC311"].login_attempts_per_15min):
            form.email.errors.append(_("Too many failed attempts. Wait 15 minutes and try again."))
            return render_template("portal/sign_in.html", form=form), 429
        account = service.authenticate(email, form.password.data)
        if account is None:
            throttle.record_failure(email, ip)
            g.commit_anyway = True
            form.password.errors.append(_("That e-mail and password do not match an account."))
            return render_template("portal/sign_in.html", form=form), 401
        throttle.clear(email)
        login_user(account)
        session["lang"] = account.locale
        return redirect(_safe_next(request.args.get("next")) or url_for("portal.my_requests"))
    status = 400 if form.errors else 200
    return render_template("portal/sign_in.html", form=form), status


@bp.post("/account/sign-out")
def sign_out():
    form = DeflectionForm()
    if form.validate_on_submit():
        logout_user()
        session.pop("lang", None)
        flash(_("You are signed out."))
    return redirect(url_for("portal.home"))


@bp.get("/account")
@resident_required
def my_requests():
    account = resident()
    rows = db.session.scalars(
        select(ServiceRequest).where(ServiceRequest.resident_account_id == account.id)
        .order_by(ServiceRequest.requested_at.desc())
    ).all()
    return render_template("portal/my_requests.html", rows=rows, status_words=public.STATUS_WORDS,
                           sign_out_form=DeflectionForm())


@bp.route("/account/settings", methods=["GET", "POST"])
@resident_required
def settings():
    account = resident()
    form = PreferencesForm(obj=account) if request.method == "GET" else PreferencesForm()
    form.locale.choices = _language_choices()
    if form.validate_on_submit():
        service.update_preferences(account, name=form.name.data, phone=form.phone.data, locale=form.locale.data,
                                   notify_email=form.notify_email.data, notify_sms=form.notify_sms.data)
        session["lang"] = account.locale
        flash(_("Your settings are saved."))
        return redirect(url_for("portal.settings"))
    status = 400 if form.errors else 200
    return render_template("portal/settings.html", form=form), status
