"""The plans a city can subscribe to, as data.

Prices live in Stripe and are found by lookup key, so a price change in Stripe needs no deploy. Each plan
has a licensed price (quantity = staff seats in use, tiered in Stripe so the allowance is included) and a
metered price fed by the `civic311_requests` Billing Meter (requests above the allowance).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

TRIAL_DAYS = 30
GRACE_DAYS = 14  # past_due this long -> suspended
RETENTION_DAYS = 90  # canceled this long -> the city's data is deleted
DELETION_NOTICE_DAYS = (30, 7, 1)  # e-mails before deletion, in days left
METER_EVENT_NAME = "civic311_requests"
INTERVALS = ("month", "year")


@dataclass(frozen=True)
class Plan:
    code: str
    name: object  # a lazy string: shown in the city's language
    monthly_cents: int
    annual_cents: int
    staff_seats: int
    monthly_requests: int
    features: tuple[str, ...]

    def lookup_key(self, interval: str) -> str:
        return f"{self.code}_{'annual' if interval == 'year' else 'monthly'}"

    @property
    def metered_lookup_key(self) -> str:
        return f"{self.code}_requests"

    def price_cents(self, interval: str) -> int:
        return self.annual_cents if interval == "year" else self.monthly_cents


PLANS: dict[str, Plan] = {
    plan.code: plan
    for plan in (
        Plan("town", _l("Town"), 19_900, 199_000, 5, 500,
             ("portal", "open311_api", "email_intake")),
        Plan("city", _l("City"), 79_900, 799_000, 25, 5_000,
             ("portal", "open311_api", "email_intake", "sms_intake", "operators", "surveys")),
        Plan("metro", _l("Metro"), 249_900, 2_499_000, 150, 50_000,
             ("portal", "open311_api", "email_intake", "sms_intake", "operators", "surveys", "custom_domain",
              "priority_support")),
    )
}

FEATURE_NAMES = {
    "portal": _l("Resident portal in English and Spanish"),
    "open311_api": _l("Open311 GeoReport v2 API"),
    "email_intake": _l("Requests by e-mail"),
    "sms_intake": _l("Requests by text message"),
    "operators": _l("Contact-center operators"),
    "surveys": _l("Satisfaction surveys"),
    "custom_domain": _l("Your own domain"),
    "priority_support": _l("Priority support"),
}


def get_plan(code: str | None) -> Plan | None:
    return PLANS.get(code or "")


def plan_for_lookup_key(lookup_key: str | None) -> Plan | None:
    for plan in PLANS.values():
        if lookup_key in (plan.lookup_key("month"), plan.lookup_key("year"), plan.metered_lookup_key):
            return plan
    return None


def interval_for_lookup_key(lookup_key: str | None) -> str:
    return "year" if (lookup_key or "").endswith("_annual") else "month"
