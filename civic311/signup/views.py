"""Signup on the platform host: start your city, check a slug as it is typed, verify the e-mail,
accept a staff invitation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from civic311.signup import gate, service
from civic311.signup.forms import AcceptInvitationForm, SignupForm
from civic311.tenants.service import TenantError
from civic311.web.hosts import restrict_to

bp = Blueprint("signup", __name__, url_prefix="/signup")
restrict_to(bp, "platform")
gate.install(bp)  # app-wide: a city not live yet shows residents "being set up"


@bp.app_context_processor
def _plans_for_home():
    from civic311.signup.plans import public_plans

    return {"public_plans": public_plans}  # called by the home page template only


@bp.get("/slug-check")
def slug_check():
    """A small JSON answer for the signup page's script: is this address free?"""
    slug = (request.args.get("slug") or "").strip().lower()[:60]
    problem = service.slug_message(slug)
    return jsonify({"slug": slug, "ok": problem is None, "message": problem or _("That address is free.")})


@bp.route("/", methods=["GET", "POST"])
def start():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            tenant, user = service.sign_up(service.Signup(
                city_name=form.city_name.data, slug=form.slug.data, admin_name=form.admin_name.data,
                email=form.email.data, password=form.password.data, timezone=form.timezone.data,
                languages=form.languages.data or [],
            ))
        except service.SignupError as exc:
            form[exc.field].errors.append(str(exc))
            return render_template("signup/start.html", form=form), 422
        except TenantError as exc:
            form.slug.errors.append(str(exc))
            return render_template("signup/start.html", form=form), 422
        login_user(user)
        flash(_("Your city is created. We sent a confirmation link to %(email)s.", email=user.email))
        return redirect(url_for("settings.setup", slug=tenant.slug))
    status = 422 if request.method == "POST" else 200
    return render_template("signup/start.html", form=form), status


@bp.get("/verify/<token>")
def verify(token: str):
    user = service.verify_email(token)
    if user is None:
        return render_template("signup/verify_failed.html"), 400
    flash(_("Thank you: your e-mail address is confirmed."))
    # The link only confirms the address; it never signs anyone in (a forwarded or leaked link must not
    # open the city's admin), so someone not signed in as that person signs in first.
    if not current_user.is_authenticated or current_user.get_id() != user.get_id():
        return redirect(url_for("accounts.login", next=_where_to_continue(user)))
    return redirect(_where_to_continue(user))


def _where_to_continue(user) -> str:
    """Back to the setup wizard of a city this admin has not opened yet; else where staff begin."""
    from civic311.accounts.access import cities_for

    for city, role in cities_for(user):
        if role == "admin" and city.live_at is None:
            return url_for("settings.setup", slug=city.slug)
    return url_for("accounts.start")


@bp.post("/verify/resend")
def resend():  # CSRFProtect checks the token of every POST
    if not current_user.is_authenticated or not hasattr(current_user, "email_verified_at"):
        abort(404)
    if current_user.email_verified_at is None:
        service.send_verification(current_user)
        flash(_("We sent the confirmation link again."))
    return redirect(request.referrer or url_for("accounts.start"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    found = service.invitation_for(token)
    if found is None:
        return render_template("signup/verify_failed.html", invitation=True), 404
    user, tenant = found
    form = AcceptInvitationForm(name=user.name)
    if form.validate_on_submit():
        service.accept_invitation(user, tenant, form.name.data, form.password.data)
        login_user(user)
        flash(_("Welcome to %(city)s.", city=tenant.title))
        return redirect(url_for("accounts.start"))
    return render_template("signup/invitation.html", form=form, user=user, tenant=tenant)
