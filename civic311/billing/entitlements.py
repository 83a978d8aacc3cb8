"""What a city may use: its plan's features, overridden one by one by the platform admin's flags.

A city with no plan gets every feature: in trial, so the clerk setting it up can try the whole product,
or run by the platform without a Stripe subscription (created with `civic311 tenants create`, invoiced
by hand). Once a city subscribes, its plan decides. A platform admin can switch one feature on or off
for one city (a pilot, a negotiated deal, a misbehaving integration): the flag, when present, wins over
the plan.

Flags whose names start with "_" are the platform's own bookkeeping (e.g. an admin hold on billing) and
are never features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from civic311.billing.plans import FEATURE_NAMES, PLANS, get_plan

FEATURES: tuple[str, ...] = tuple(FEATURE_NAMES)


class _City(Protocol):
    status: str
    plan_code: str | None
    feature_flags: dict


@dataclass(frozen=True)
class Entitlement:
    feature: str
    label: object  # a lazy string, shown in the reader's language
    enabled: bool
    from_plan: bool
    override: bool | None  # the admin's flag, if one is set


class FeatureNotInPlan(PermissionError):  # noqa: N818 — reads as the sentence it raises
    def __init__(self, feature: str):
        super().__init__(feature)
        self.feature = feature


def plan_gives(city: _City, feature: str) -> bool:
    if not city.plan_code:
        return True
    plan = get_plan(city.plan_code)
    return bool(plan and feature in plan.features)


def has_feature(city: _City, feature: str) -> bool:
    if feature not in FEATURE_NAMES:
        raise KeyError(f"unknown feature {feature!r}")
    override = (city.feature_flags or {}).get(feature)
    if override is not None:
        return bool(override)
    return plan_gives(city, feature)


def require_feature(city: _City, feature: str) -> None:
    """Raise FeatureNotInPlan when the city may not use `feature`; callers turn it into a clear message."""
    if not has_feature(city, feature):
        raise FeatureNotInPlan(feature)


def entitlements(city: _City) -> list[Entitlement]:
    flags = city.feature_flags or {}
    return [Entitlement(feature, FEATURE_NAMES[feature], has_feature(city, feature), plan_gives(city, feature),
                        flags.get(feature)) for feature in FEATURES]


def cheapest_plan_with(feature: str) -> str | None:
    """The code of the least expensive plan that includes `feature` (for "upgrade to ..." hints)."""
    offering = [plan for plan in PLANS.values() if feature in plan.features]
    return min(offering, key=lambda plan: plan.monthly_cents).code if offering else None
