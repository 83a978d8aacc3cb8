"""The operators' workspace at /ops on the platform host: pick a city per contact, see the work
waiting across the cities the organization serves. The work itself happens in /t/<slug>/desk."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from civic311.accounts.models import User
from civic311.console.layout import logo_url
from civic311.ops import service
from civic311.web.hosts import restrict_to

bp = Blueprint("ops", __name__, url_prefix="/ops")
restrict_to(bp, "platform")


@bp.before_request
def _operators_only():
    if not current_user.is_authenticated or not isinstance(current_user._get_current_object(), User):
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if current_user.operator_org_id is None:
        abort(404)
    if current_user.totp_enabled_at is None:
        # Login enforces this already; an operator session without a second factor is refused anyway.
        abort(403)
    return None


@bp.get("/", endpoint="index")
def index():
    cities = service.waiting_work(current_user)
    return render_template("ops/index.html", cities=cities, org=current_user.operator_org, logo_url=logo_url)


@bp.get("/call")
def call():
    """A call arriving tagged with the city's line goes straight to that city's desk."""
    line = (request.args.get("line") or "").strip()
    channel = request.args.get("channel") if request.args.get("channel") in ("phone", "walk_in", "email") else "phone"
    city = service.city_for_line(current_user, line)
    if city is None:
        flash(_("No city you serve uses the line %(line)s. Pick the city yourself.", line=line or "?"), "error")
        return redirect(url_for(".index"))
    return redirect(url_for("desk.index", slug=city.tenant.slug, channel=channel,
                            phone=(request.args.get("caller") or "")[:40]))


BLUEPRINTS = [bp]
