"""The home page of each host: on the platform host, what civic311 is and where each kind of user goes;
on a city's host, that city's resident portal (the portal registers `portal.home`)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    # One URL rule serves "/" on both kinds of host: the first blueprint to claim "/" would otherwise
    # shadow the other's.
    site = g.get("site")
    if site is not None and site.kind == "tenant" and "portal.home" in current_app.view_functions:
        return current_app.view_functions["portal.home"]()
    if site is None or not site.is_platform:
        abort(404)
    return render_template("home/index.html")
