"""The portal blueprint, served on each city's own host, and what every portal page knows."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import dates
from flask import Blueprint, g, request
from flask_babel import get_locale
from flask_login import current_user

from civic311.accounts.models import ResidentAccount
from civic311.portal.branding import brand_colors, logo_url
from civic311.web.hosts import restrict_to

bp = Blueprint("portal", __name__)
restrict_to(bp, "tenant")


def locale() -> str:
    return str(get_locale() or "en")


def resident() -> ResidentAccount | None:
    """The signed-in resident of this city, if any (staff sessions never reach a city's host)."""
    if current_user and current_user.is_authenticated:
        account = current_user._get_current_object()
        if isinstance(account, ResidentAccount):
            return account
    return None


def reporting_closed_because(tenant) -> str | None:
    """Why residents cannot report online right now ("suspended", "channel_off"), or None when they can.

    The city's switch is `channels["portal"]` (settings: channels); intake refuses portal reports when
    it is off, so the portal shows how else to reach the city instead of a form that would be refused."""
    if tenant.status == "suspended":
        return "suspended"
    if (tenant.channels or {}).get("portal", True) is False:
        return "channel_off"
    return None


def _lang_url(code: str) -> str:
    args = request.args.to_dict(flat=True)
    args["lang"] = code
    return f"{request.path}?{urlencode(args)}"


@bp.app_context_processor
def _portal_context() -> dict:
    # App-wide because "/" on a city host is dispatched through the home blueprint.
    site = g.get("site")
    if site is None or site.kind != "tenant" or site.tenant is None:
        return {}
    tenant = site.tenant
    return {
        "city": tenant,
        "brand": brand_colors(tenant),
        "city_logo": logo_url(tenant),
        "lang_url": _lang_url,
        "resident": resident(),
        "city_suspended": tenant.status == "suspended",
        "reporting_closed": reporting_closed_because(tenant),
    }


def _city_time(value: datetime) -> datetime:
    tenant = g.get("tenant")
    return value.astimezone(ZoneInfo(tenant.timezone)) if tenant is not None else value


@bp.app_template_filter("city_date")
def city_date(value: datetime | None, fmt: str = "medium") -> str:
    """A date in the city's own time zone and the reader's language."""
    if value is None:
        return ""
    return dates.format_date(_city_time(value), format=fmt, locale=locale())


@bp.app_template_filter("city_datetime")
def city_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_datetime(_city_time(value), format=fmt, locale=locale())
