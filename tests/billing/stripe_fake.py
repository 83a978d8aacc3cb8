"""A Stripe stand-in at the HTTP layer: a `stripe.HTTPClient` of our own that answers the real library's
requests with recorded responses (tests/billing/fixtures/*.json, shaped like the pinned API version).

The library still builds every request (form encoding, headers, idempotency keys) and parses every
response into its objects; nothing of Stripe's is patched. The stand-in keeps one subscription's state
so a test can say "the subscription is now past_due" and the next re-read says so.
"""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

from civic311.billing.gateway import API_VERSION

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WEBHOOK_SECRET = "whsec_test_civic311"
API_KEY = "sk_test_civic311"


def fixture(name: str, **values: str) -> dict:
    text = (FIXTURES / f"{name}.json").read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    return json.loads(text)


@dataclass
class Call:
    method: str
    path: str
    params: dict
    headers: dict


class RecordedStripe(stripe.HTTPClient):
    name = "civic311-recorded"

    ROUTES = (
        ("GET", r"/v1/prices", "price"),
        ("POST", r"/v1/customers", "customer"),
        ("POST", r"/v1/checkout/sessions", "checkout_session"),
        ("POST", r"/v1/billing_portal/sessions", "billing_portal_session"),
        ("GET", r"/v1/subscriptions/[^/]+", "subscription"),
        ("POST", r"/v1/subscriptions/[^/]+", "subscription"),
        ("POST", r"/v1/subscription_items/[^/]+", "subscription_item"),
        ("POST", r"/v1/billing/meter_events", "meter_event"),
        ("POST", r"/v1/invoices/create_preview", "invoice_preview"),
        ("GET", r"/v1/invoices", "invoices_list"),
    )

    def __init__(self, tenant_id: str = ""):
        super().__init__()
        self.tenant_id = tenant_id
        self.calls: list[Call] = []
        self.subscription = fixture("subscription", tenant_id=tenant_id)
        self.down = False
        self.refused_customers: set[str] = set()  # meter events for these customers answer a 400

    # --- what tests change -----------------------------------------------------------------------------
    def for_tenant(self, tenant_id) -> RecordedStripe:
        self.tenant_id = str(tenant_id)
        self.subscription = fixture("subscription", tenant_id=self.tenant_id)
        return self

    def set_subscription(self, status: str, **fields) -> dict:
        self.subscription["status"] = status
        self.subscription.update(fields)
        return copy.deepcopy(self.subscription)

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    # --- the HTTPClient interface ----------------------------------------------------------------------
    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        raw = post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        params = dict(parse_qsl(raw, keep_blank_values=True))
        method = method.upper()
        self.calls.append(Call(method, parts.path, params, dict(headers or {})))
        if self.down:
            return json.dumps({"error": {"type": "api_error", "message": "stand-in is down"}}), 500, {}
        refused = params.get("payload[stripe_customer_id]") in self.refused_customers
        if parts.path == "/v1/billing/meter_events" and refused:
            return json.dumps(fixture("error_resource_missing")), 400, {"request-id": "req_test"}
        for route_method, pattern, name in self.ROUTES:
            if route_method == method and re.fullmatch(pattern, parts.path):
                return json.dumps(self._answer(name, method, parts.path, params)), 200, {"request-id": "req_test"}
        return json.dumps(fixture("error_resource_missing")), 404, {"request-id": "req_test"}

    def _answer(self, name: str, method: str, path: str, params: dict) -> dict:
        if name == "price":
            return fixture("price", lookup_key=params.get("lookup_keys[0]", ""))
        if name == "subscription":
            if method == "POST" and params.get("trial_end"):  # a trial extension
                self.subscription["trial_end"] = int(params["trial_end"])
            if method == "POST":  # a plan change: the stand-in swaps the prices it was given
                for i, item in enumerate(self.subscription["items"]["data"]):
                    price = params.get(f"items[{i}][price]")
                    if price:
                        item["price"]["id"] = price
                        item["price"]["lookup_key"] = price.removeprefix("price_")
                    if params.get(f"items[{i}][quantity]"):
                        item["quantity"] = int(params[f"items[{i}][quantity]"])
            return copy.deepcopy(self.subscription)
        if name == "subscription_item":
            item = self.subscription["items"]["data"][0]
            item["quantity"] = int(params.get("quantity", item.get("quantity", 1)))
            return {**fixture("subscription_item"), "quantity": item["quantity"]}
        if name == "meter_event":
            return fixture("meter_event", identifier=params.get("identifier", ""))
        return fixture(name, tenant_id=self.tenant_id)

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError

    def close(self):
        pass


_event_counter = iter(range(1, 10**6))


def signed_event(event_type: str, obj: dict, *, created: int | None = None, secret: str = WEBHOOK_SECRET,
                 event_id: str | None = None) -> tuple[bytes, dict]:
    """A webhook body and its headers, signed with the library's own helper."""
    event = fixture("event", event_id=event_id or f"test{next(_event_counter):06d}", type=event_type,
                    api_version=API_VERSION)
    event["created"] = created or int(time.time())
    event["data"]["object"] = obj
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}
