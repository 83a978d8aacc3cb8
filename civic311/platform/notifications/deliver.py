"""Delivering a "notify" outbox row: the reporter and followers, each exactly once.

Once-only rests on the `Delivery` table's unique key (event, channel, recipient). A send is reserved
(a "sending" row committed) before the provider is called and marked "sent" after, so a retried job,
a second worker or the sweep skips everyone already served. A send that raised is marked "failed" and
tried again by the retry; a row left "sending" by a crash mid-call is not re-sent (better one missed
e-mail, visible in the table, than two).
"""

from __future__ import annotations

import logging
import uuid

from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic311.accounts.models import ResidentAccount
from civic311.db import db, utcnow
from civic311.platform.models import Delivery, Follower, RequestEvent, ServiceRequest
from civic311.platform.notifications.notifier import notifier_for
from civic311.platform.notifications.render import (
    LEVEL_WORDS,
    REASON_WORDS,
    STATUS_WORDS,
    pick_locale,
    render,
    words,
)
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.notifications")


def handle_outbox(tenant_id: uuid.UUID, payload: dict) -> int:
    """Send message `payload["template"]` about one request event. Returns how many were sent now."""
    tenant = db.session.get(Tenant, tenant_id)
    req = db.session.get(ServiceRequest, (tenant_id, uuid.UUID(payload["request_id"])))
    if tenant is None or req is None:
        return 0
    event = db.session.get(RequestEvent, (tenant_id, uuid.UUID(payload["event_id"]))) if payload.get(
        "event_id") else None
    template = payload["template"]
    event_key = payload.get("event_id") or payload.get("key") or template
    sent = 0
    for channel, address, locale, is_reporter, name in recipients(req, payload):
        context = message_context(tenant, req, event, locale, name=name, is_reporter=is_reporter, payload=payload)
        if template == "survey" and not context["survey_url"]:
            continue  # answered already (or no survey): nothing to ask
        key = f"{event_key}:{channel}:{address.lower()}"
        if send_once(key, channel, address, template, req.id, lambda ctx=context, loc=locale: render(
                template, loc, ctx)):
            sent += 1
    return sent


def recipients(req: ServiceRequest, payload: dict) -> list[tuple[str, str, str, bool, str | None]]:
    """(channel, address, locale, is_reporter, name) for everyone to tell; nobody for anonymous reports.

    A follower gets e-mail when we have their address, a text message otherwise. A reporter signed in
    to a resident account gets what the account's preferences say (e-mail, texts, both or neither).
    The "survey" message goes only to a reporter whom no e-mail reaches, by text: e-mail readers find
    the survey link in the closure e-mail."""
    if payload.get("recipients"):  # staff messages (SLA escalation) name their recipients
        return [("email", r["email"], r.get("locale") or "en", False, r.get("name"))
                for r in payload["recipients"] if r.get("email")]
    if req.anonymous:
        return []
    survey = payload.get("template") == "survey"
    account = _reporter_account(req)
    result: list[tuple[str, str, str, bool, str | None]] = []
    seen: set[str] = set()
    followers = db.session.scalars(select(Follower).where(Follower.request_id == req.id,
                                                          Follower.unsubscribed_at.is_(None)))
    for follower in followers:
        if follower.is_reporter:
            channels = reporter_channels(follower, account)
            if survey:
                channels = [] if any(c == "email" for c, _ in channels) else [(c, a) for c, a in channels if c == "sms"]
        elif survey:
            continue
        else:
            channels = _first_channel(follower.email, follower.phone)
        name = req.reporter_name if follower.is_reporter else None
        for channel, address in channels:
            if address.lower() in seen:
                continue
            seen.add(address.lower())
            result.append((channel, address, follower.locale, follower.is_reporter, name))
    return result


def _first_channel(email: str | None, phone: str | None) -> list[tuple[str, str]]:
    if email:
        return [("email", email)]
    return [("sms", phone)] if phone else []


def _reporter_account(req: ServiceRequest) -> ResidentAccount | None:
    if req.resident_account_id is None:
        return None
    return db.session.get(ResidentAccount, (req.tenant_id, req.resident_account_id))


def reporter_channels(follower: Follower, account: ResidentAccount | None) -> list[tuple[str, str]]:
    """How the reporter hears from us: as their account's preferences say when they filed signed in
    (the account's address and phone stand in for ones the report lacks), else one channel."""
    if account is None:
        return _first_channel(follower.email, follower.phone)
    channels = []
    email, phone = follower.email or account.email, follower.phone or account.phone
    if account.notify_email and email:
        channels.append(("email", email))
    if account.notify_sms and phone:
        channels.append(("sms", phone))
    return channels


def message_context(tenant: Tenant, req: ServiceRequest, event: RequestEvent | None, locale: str, *,
                    name: str | None, is_reporter: bool, payload: dict) -> dict:
    from civic311.tenants.urls import platform_url, tenant_url

    lang = pick_locale(locale)
    expected = ""
    if req.due_at is not None:
        expected = format_datetime(req.due_at, "EEEE d MMMM y, HH:mm", tzinfo=tenant.timezone, locale=lang)
    survey_url = None
    if payload["template"] in ("closed", "survey") and is_reporter:
        from civic311.platform.surveys import survey_link

        survey_url = survey_link(tenant, req)
    duplicate_of = (event.data or {}).get("duplicate_of") if event is not None else None
    return {
        "city": tenant.title,
        "name": name or "",
        "number": req.number,
        "service": req.service_name,
        "address": req.address or "",
        "expected": expected,
        "status": words(STATUS_WORDS, lang, event.to_status if event and event.to_status else req.status),
        "reason": words(REASON_WORDS, lang, (event.data or {}).get("reason") if event else req.close_reason),
        "duplicate_of": duplicate_of or "",
        "message": (event.message if event is not None and event.public else "") or "",
        "track_url": tenant_url(tenant, f"/requests/{req.number}"),
        "staff_url": platform_url(f"/t/{tenant.slug}/requests/{req.number}"),
        "survey_url": survey_url,
        "reopen_days": tenant.reopen_window_days if is_reporter else 0,
        "level": words(LEVEL_WORDS, lang, payload.get("level")),
        "department": req.department.name if req.department else "",
        "actions": ", ".join(payload.get("actions") or []),
    }


def send_once(key: str, channel: str, address: str, template: str, request_id: uuid.UUID | None,
              build) -> bool:
    """Send through `channel` unless a send with this key already happened (or is under way)."""
    delivery = db.session.scalar(select(Delivery).where(Delivery.dedupe_key == key))
    if delivery is not None and delivery.status in ("sent", "sending"):
        return False
    if delivery is None:
        delivery = Delivery(dedupe_key=key, channel=channel, recipient=address[:254], template=template,
                            request_id=request_id, status="sending")
        try:
            with db.session.begin_nested():
                db.session.add(delivery)
        except IntegrityError:  # another worker reserved it a moment ago
            return False
    else:
        delivery.status = "sending"
    message = build()
    db.session.commit()  # the reservation is durable before the provider hears anything
    try:
        provider_id = notifier_for(channel).send(address, message)
    except Exception:
        delivery.status = "failed"
        db.session.commit()
        raise
    delivery.status = "sent"
    delivery.provider_id = (provider_id or "")[:120]
    delivery.sent_at = utcnow()
    db.session.commit()
    return True
