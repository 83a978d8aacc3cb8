"""The demo mailbox: in `civic311 demo` without SMTP or SES, e-mail only goes to the log, so a newcomer
could not click the confirmation link without the terminal. This page lists what was "sent".

Enabled only when the app's DEMO_MAILBOX flag is set (the demo command sets it) AND mail goes to the
log: it shows every message, so it must never exist where real mail is sent.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, has_request_context, render_template, url_for

from civic311.platform.notifications import mail
from civic311.web.hosts import restrict_to

bp = Blueprint("demo_mailbox", __name__, url_prefix="/demo")
restrict_to(bp, "platform")

URL_RE = re.compile(r"https?://[^\s<>\"']+")


def enabled() -> bool:
    return bool(current_app.config.get("DEMO_MAILBOX")) and mail.transport() == "log"


@bp.app_context_processor
def _mailbox_link() -> dict:
    # Also rendered by jobs (e-mail templates) outside a request, where no URL can be built.
    return {"demo_mailbox_url": url_for("demo_mailbox.index") if has_request_context() and enabled() else None}


@bp.get("/mailbox")
def index():
    if not enabled():
        abort(404)
    messages = []
    for message in reversed(mail.LOG_OUTBOX):
        part = message.get_body(("plain",)) if message.is_multipart() else message
        text = part.get_content() if part is not None else ""
        messages.append({"to": message["To"], "subject": message["Subject"], "date": message["Date"],
                         "text": text, "links": URL_RE.findall(text)})
    return render_template("signup/mailbox.html", messages=messages)
