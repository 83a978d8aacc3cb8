"""SMS through a Twilio-style HTTP provider at SMS_URL; the log when it is unset.

SMS_URL is the provider's "create message" endpoint with credentials in it, e.g.
https://ACCOUNT:TOKEN@api.twilio.com/2010-04-01/Accounts/ACCOUNT/Messages.json . The sender number is
SMS_FROM. The provider answers JSON with a `sid`.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import unquote, urlparse, urlunparse

import requests
from flask import current_app, has_app_context

log = logging.getLogger("civic311.sms")

LOG_OUTBOX: list[dict] = []  # texts sent with no provider configured (tests, demo)


class SmsError(RuntimeError):
    pass


def send_sms(to: str, body: str) -> str:
    """Send one text message now; returns the provider's message id."""
    url = current_app.config["CIVIC311"].sms_url if has_app_context() else os.environ.get("SMS_URL", "")
    if not url:
        LOG_OUTBOX.append({"to": to, "body": body})
        del LOG_OUTBOX[:-200]
        log.info("sms (log transport) to=%s: %s", to, body)
        return "log"
    parts = urlparse(url)
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    clean = urlunparse(parts._replace(netloc=netloc))
    response = requests.post(clean, data={"To": to, "From": os.environ.get("SMS_FROM", ""), "Body": body},
                             auth=auth, timeout=10)
    if response.status_code >= 400:
        raise SmsError(f"SMS provider answered {response.status_code}: {response.text[:200]}")
    try:
        return str(response.json().get("sid") or "")
    except ValueError:
        return ""
