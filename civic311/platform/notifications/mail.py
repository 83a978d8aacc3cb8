"""E-mail, sent through one seam: SMTP when SMTP_URL is set, SES when MAIL_TRANSPORT=ses, else the log.

`send_now` sends at once (account e-mails: verification, invitations). Notifications about requests go
through `deliver.handle_outbox`, which records a Delivery first so a retried job never sends twice.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlparse

from flask import current_app, has_app_context

log = logging.getLogger("civic311.mail")

# Messages written to the log in the embedded mode, kept for tests and the demo (newest last).
LOG_OUTBOX: list[EmailMessage] = []


def _settings():
    return current_app.config["CIVIC311"] if has_app_context() else None


def transport() -> str:
    """Which transport a send uses now: "smtp", "ses" or "log"."""
    if os.environ.get("MAIL_TRANSPORT", "").strip().lower() == "ses":
        return "ses"
    settings = _settings()
    if settings is not None and settings.smtp_url:
        return "smtp"
    return "log"


def build_message(to: str, subject: str, text: str, html: str | None = None, sender: str | None = None) -> EmailMessage:
    settings = _settings()
    message = EmailMessage()
    message["From"] = sender or (settings.mail_from if settings else "civic311 <no-reply@civic311.test>")
    message["To"] = to
    # A newline in a subject would let user text inject headers; the templates never need one.
    message["Subject"] = " ".join(subject.split())
    message["Message-ID"] = make_msgid(domain="civic311")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send_now(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one e-mail at once through the configured transport; raises if the transport fails."""
    deliver_message(build_message(to, subject, text, html))


def deliver_message(message: EmailMessage) -> str:
    """Hand a built message to the transport. Returns the provider's id (Message-ID for SMTP/log)."""
    kind = transport()
    if kind == "smtp":
        _send_smtp(message, _settings().smtp_url)
        return str(message["Message-ID"])
    if kind == "ses":
        return _send_ses(message)
    LOG_OUTBOX.append(message)
    del LOG_OUTBOX[:-200]
    log.info("mail (log transport) to=%s subject=%s\n%s", message["To"], message["Subject"],
             message.get_body(("plain",)).get_content() if message.is_multipart() else message.get_content())
    return str(message["Message-ID"])


def _send_smtp(message: EmailMessage, url: str) -> None:
    """SMTP_URL: smtp://user:pass@host:port (STARTTLS when offered), smtps://... for implicit TLS."""
    parts = urlparse(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=15,
                                                 context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=15)
    with client:
        client.ehlo()
        if parts.scheme != "smtps" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _send_ses(message: EmailMessage) -> str:
    import boto3

    settings = _settings()
    region = os.environ.get("SES_REGION") or (settings.s3_region if settings else "us-east-1")
    client = boto3.client("ses", region_name=region, endpoint_url=os.environ.get("SES_ENDPOINT_URL") or None)
    response = client.send_raw_email(
        Source=str(message["From"]), Destinations=[str(message["To"])], RawMessage={"Data": message.as_bytes()}
    )
    return str(response.get("MessageId", ""))
