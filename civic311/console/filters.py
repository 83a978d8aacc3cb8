"""Template helpers shared by the console, the desk, the knowledge base and the operators' workspace."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Flask, current_app, g
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from civic311.console.layout import logo_url
from civic311.db import utcnow


def console_datetime(value: datetime | None) -> str:
    """A time in the city's own timezone (the staff member may sit elsewhere, e.g. an operator)."""
    if value is None:
        return ""
    tenant = g.get("tenant")
    tz = ZoneInfo(tenant.timezone) if tenant is not None else ZoneInfo("UTC")
    return format_datetime(value, "medium", tzinfo=tz, locale=str(get_locale() or "en"))


def time_left(due: datetime | None) -> str:
    if due is None:
        return ""
    seconds = (due - utcnow()).total_seconds()
    hours = abs(seconds) / 3600
    amount = _("%(n)s days", n=round(hours / 24, 1)) if hours >= 48 else _("%(n)s hours", n=round(hours, 1))
    return _("%(t)s left", t=amount) if seconds >= 0 else _("%(t)s late", t=amount)


def kb_paragraphs(text: str) -> Markup:
    """Plain text with blank lines into escaped paragraphs (never trusted HTML)."""
    parts = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    html = Markup("")
    for part in parts:
        html += Markup("<p>") + Markup("<br>").join(escape(line) for line in part.split("\n")) + Markup("</p>")
    return html


def status_label(status: str | None) -> str:
    labels = {"new": _("New"), "acknowledged": _("Acknowledged"), "in_progress": _("In progress"),
              "closed": _("Closed")}
    return labels.get(status or "", (status or "").replace("_", " "))


def event_label(kind: str) -> str:
    labels = {"submitted": _("Submitted"), "acknowledged": _("Acknowledged"), "status": _("Status changed"),
              "assigned": _("Assigned"), "public_reply": _("Public reply"), "internal_note": _("Internal note"),
              "closed": _("Closed"), "reopened": _("Reopened"), "merged": _("Merged"),
              "recategorized": _("Re-categorized"), "moved": _("Pin moved"), "routed": _("Routed"),
              "escalated": _("Escalated"), "follow_on_created": _("Follow-on created"), "imported": _("Imported")}
    return labels.get(kind, kind.replace("_", " "))


def channel_label(channel: str | None) -> str:
    labels = {"portal": _("Portal"), "api": _("API"), "phone": _("Phone"), "walk_in": _("Walk-in"),
              "email": _("E-mail"), "sms": _("SMS"), "import": _("Import")}
    return labels.get(channel or "", (channel or "").replace("_", " "))


def leaflet_available() -> bool:
    return any(rule.rule.startswith("/assets/") for rule in current_app.url_map.iter_rules())


def init_app(app: Flask) -> None:
    app.add_template_filter(console_datetime)
    app.add_template_filter(time_left)
    app.add_template_filter(kb_paragraphs)
    app.add_template_filter(status_label)
    app.add_template_filter(event_label)
    app.add_template_filter(channel_label)
    app.add_template_global(logo_url, "console_logo_url")
    app.add_template_global(leaflet_available)
