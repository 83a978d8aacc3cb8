"""The one module that talks to Stripe. Everything else asks it plain questions and gets plain dicts.

Configuration: STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE (a local stand-in). Tests hand a
`stripe.HTTPClient` of their own through `app.extensions["civic311_stripe_http"]`, so the real library
builds and parses every request.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import stripe
from flask import current_app

# The API version every request asks for and the recorded test responses are shaped like. It is the one
# stripe 16.x (pinned in pyproject) is built for; a library upgrade changes it only through this line.
API_VERSION = "2026-10-28.endive"
WEBHOOK_TOLERANCE_S = 300


class GatewayError(RuntimeError):
    """Stripe is not configured, unreachable or refused: shown as "billing is unavailable right now"."""


class BadSignature(ValueError):
    pass


def configured() -> bool:
    return bool(current_app.config["CIVIC311"].stripe_api_key)


def _client() -> stripe.StripeClient:
    settings = current_app.config["CIVIC311"]
    if not settings.stripe_api_key:
        raise GatewayError("Stripe is not configured (STRIPE_API_KEY)")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_api_key,
        http_client=current_app.extensions.get("civic311_stripe_http"),
        base_addresses=base,
        stripe_version=API_VERSION,
        max_network_retries=2,
    )


def _plain(obj: Any) -> dict:
    return json.loads(str(obj)) if obj is not None else {}


def _call(fn, *args, **kwargs) -> dict:
    try:
        return _plain(fn(*args, **kwargs))
    except stripe.StripeError as exc:
        raise GatewayError(exc.user_message or str(exc)) from exc


def price_id(lookup_key: str) -> str:
    found = _call(_client().v1.prices.list, params={"lookup_keys": [lookup_key], "active": True, "limit": 1})
    if not found.get("data"):
        raise GatewayError(f"no active Stripe price with lookup key {lookup_key}")
    return found["data"][0]["id"]


def create_customer(*, tenant_id: str, slug: str, name: str, email: str | None) -> str:
    params = {"name": name, "metadata": {"tenant_id": tenant_id, "slug": slug}}
    if email:
        params["email"] = email
    customer = _call(_client().v1.customers.create, params=params,
                     options={"idempotency_key": f"customer-{tenant_id}"})
    return customer["id"]


def checkout_url(
    *, customer: str, tenant_id: str, base_price: str, metered_price: str, seats: int,
    trial_end: datetime | None, success_url: str, cancel_url: str,
) -> str:
    subscription_data: dict = {"metadata": {"tenant_id": tenant_id}}
    if trial_end is not None:
        subscription_data["trial_end"] = int(trial_end.timestamp())
    session = _call(_client().v1.checkout.sessions.create, params={
        "mode": "subscription",
        "customer": customer,
        "client_reference_id": tenant_id,
        "line_items": [{"price": base_price, "quantity": max(seats, 1)}, {"price": metered_price}],
        "subscription_data": subscription_data,
        "success_url": success_url,
        "cancel_url": cancel_url,
    })
    return session["url"]


def portal_url(*, customer: str, return_url: str) -> str:
    session = _call(_client().v1.billing_portal.sessions.create,
                    params={"customer": customer, "return_url": return_url})
    return session["url"]


def subscription(subscription_id: str) -> dict:
    return _call(_client().v1.subscriptions.retrieve, subscription_id)


def set_trial_end(subscription_id: str, trial_end: datetime) -> dict:
    """Move a trialing subscription's trial end (no proration: nothing has been billed yet)."""
    return _call(_client().v1.subscriptions.update, subscription_id,
                 params={"trial_end": int(trial_end.timestamp()), "proration_behavior": "none"})


def change_subscription_prices(subscription_id: str, items: list[dict]) -> dict:
    """Swap prices (a plan change), prorated on the next invoice."""
    return _call(_client().v1.subscriptions.update, subscription_id,
                 params={"items": items, "proration_behavior": "create_prorations"})


def set_item_quantity(item_id: str, quantity: int, idempotency_key: str) -> dict:
    return _call(_client().v1.subscription_items.update, item_id,
                 params={"quantity": quantity, "proration_behavior": "create_prorations"},
                 options={"idempotency_key": idempotency_key})


def report_meter_event(*, customer: str, value: int, identifier: str, timestamp: datetime, event_name: str) -> dict:
    return _call(_client().v1.billing.meter_events.create, params={
        "event_name": event_name,
        "identifier": identifier,
        "timestamp": int(timestamp.timestamp()),
        "payload": {"stripe_customer_id": customer, "value": str(value)},
    })


def next_invoice(*, customer: str, subscription_id: str) -> dict:
    return _call(_client().v1.invoices.create_preview,
                 params={"customer": customer, "subscription": subscription_id})


def invoices(customer: str, limit: int = 12) -> list[dict]:
    return _call(_client().v1.invoices.list, params={"customer": customer, "limit": limit}).get("data", [])


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The event in a webhook body, once its Stripe-Signature matches the raw bytes."""
    secret = current_app.config["CIVIC311"].stripe_webhook_secret
    if not secret:
        raise BadSignature("STRIPE_WEBHOOK_SECRET is not set")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_S)
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise BadSignature(str(exc)) from exc
    if not isinstance(event, dict) or event.get("object") != "event" or not event.get("id"):
        raise BadSignature("not a Stripe event")
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool) or created < 0:
        raise BadSignature("a Stripe event's created time is a whole number of seconds")
    return event
