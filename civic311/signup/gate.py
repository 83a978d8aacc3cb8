"""A self-signed-up city is not open to residents until its admin goes live.

Until `tenant.live_at` is set, every page of the city's host shows "this service is being set up"
(with the city's phone or e-mail), and its Open311 API refuses new requests. The admin previews the
portal through a signed link from the wizard's last step (`preview_url`), valid for an hour; the link
leaves a cookie on the city's host so the preview can be browsed page by page.
"""

from __future__ import annotations

from flask import Blueprint, after_this_request, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from civic311.tenants.models import Tenant
from civic311.web.hosts import tenant_url

PREVIEW_COOKIE = "civic311_preview"
PREVIEW_SECONDS = 3600
# Not gated: error handlers and static files have no blueprint of their own to render.
OPEN_ENDPOINTS = ("static",)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="civic311-portal-preview")


def preview_url(city: Tenant, path: str = "/") -> str:
    """The city's portal, open to whoever holds this link for an hour (given to its admins only)."""
    token = _serializer().dumps(str(city.id))
    separator = "&" if "?" in path else "?"
    return tenant_url(city, f"{path}{separator}preview={token}")


def _preview_allowed(city: Tenant) -> bool:
    from_link = request.args.get("preview")
    for token in (from_link, request.cookies.get(PREVIEW_COOKIE)):
        if not token:
            continue
        try:
            if _serializer().loads(token, max_age=PREVIEW_SECONDS) != str(city.id):
                continue
        except BadSignature:
            continue
        if token == from_link:
            _remember_preview(token)
        return True
    return False


def _remember_preview(token: str) -> None:
    @after_this_request
    def _set_cookie(response):
        response.set_cookie(PREVIEW_COOKIE, token, max_age=PREVIEW_SECONDS, httponly=True, samesite="Lax",
                            secure=request.is_secure)
        return response


def install(bp: Blueprint) -> None:
    @bp.before_app_request
    def _city_not_live_yet():
        site = g.get("site")
        city = getattr(site, "tenant", None)
        if site is None or site.kind != "tenant" or city is None or city.live_at is not None:
            return None
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        if request.blueprint == "open311":
            if request.method in ("GET", "HEAD"):
                return None
            response = jsonify([{"code": 403, "description": _(
                "This city's service is being set up: it does not accept requests yet.")}])
            response.status_code = 403
            return response
        if _preview_allowed(city):
            return None
        return render_template("signup/setting_up.html", city=city), 503
