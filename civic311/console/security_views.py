"""Staff security settings on the platform host: enrol (or, where allowed, remove) a TOTP second factor."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic311 import audit
from civic311.accounts import service as accounts
from civic311.accounts.access import cities_for
from civic311.accounts.passwords import totp_step_if_valid, totp_uri
from civic311.console.forms import TotpEnrolForm
from civic311.db import utcnow
from civic311.web.hosts import restrict_to

bp = Blueprint("staff_security", __name__, url_prefix="/staff")
restrict_to(bp, "platform")


def _user():
    return current_user._get_current_object()


def two_factor_required(user) -> bool:
    """Platform admins, operator agents and anyone who works in more than one city must keep a second
    factor (the same rule the sign-in applies)."""
    return bool(user.needs_totp or len(cities_for(user)) > 1)


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    user = _user()
    form = TotpEnrolForm()
    enrolled = user.totp_enabled_at is not None
    if not enrolled and not user.totp_secret:
        accounts.start_totp_enrolment(user)
    if not enrolled and form.validate_on_submit():
        step = totp_step_if_valid(user.totp_secret, form.code.data, user.totp_last_step)
        if step is None:
            form.code.errors.append(_("That code is not valid. Check your device's clock and try again."))
        else:
            user.totp_last_step = step
            user.totp_enabled_at = utcnow()
            audit.record("user.totp_enabled", details={"user": user.email})
            flash(_("Two-factor authentication is on. You will be asked for a code when you sign in."))
            return redirect(url_for(".two_factor"))
    return render_template("console/two_factor.html", form=form, enrolled=enrolled, user=user,
                           uri=None if enrolled else totp_uri(user.totp_secret, user.email),
                           remove_form=TotpEnrolForm(prefix="remove", formdata=None), required=two_factor_required(user)
                           ), 422 if form.errors else 200


@bp.post("/two-factor/remove")
@login_required
def remove_two_factor():
    user = _user()
    if two_factor_required(user):
        flash(_("Your role requires two-factor authentication; it cannot be removed."), "error")
        return redirect(url_for(".two_factor"))
    form = TotpEnrolForm(prefix="remove")
    if not (form.validate_on_submit() and user.totp_enabled_at is not None):
        flash(_("Enter a current code from your authenticator app to turn two-factor authentication off."), "error")
        return redirect(url_for(".two_factor"))
    if totp_step_if_valid(user.totp_secret, form.code.data, user.totp_last_step) is None:
        flash(_("That code is not valid. Check your device's clock and try again."), "error")
    else:
        user.totp_enabled_at = None
        user.totp_secret = None
        audit.record("user.totp_removed", details={"user": user.email})
        flash(_("Two-factor authentication is off."))
    return redirect(url_for(".two_factor"))
