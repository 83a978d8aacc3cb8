"""What a city may use: the plan's features, a full trial, and the platform admin's per-city switches."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from civic311.billing.entitlements import (
    FEATURES,
    FeatureNotInPlan,
    cheapest_plan_with,
    entitlements,
    has_feature,
    require_feature,
)


def a_city(status="active", plan_code="town", flags=None):
    return SimpleNamespace(status=status, plan_code=plan_code, feature_flags=flags or {})


def test_a_city_without_a_plan_may_use_everything():
    trial, managed = a_city(status="trial", plan_code=None), a_city(status="active", plan_code=None)
    assert all(has_feature(trial, feature) and has_feature(managed, feature) for feature in FEATURES)


def test_a_paying_city_gets_what_its_plan_includes():
    town, metro = a_city(plan_code="town"), a_city(plan_code="metro")
    assert has_feature(town, "open311_api") and not has_feature(town, "custom_domain")
    assert not has_feature(town, "operators") and has_feature(metro, "custom_domain")
    with pytest.raises(FeatureNotInPlan) as refused:
        require_feature(town, "custom_domain")
    assert refused.value.feature == "custom_domain"
    assert cheapest_plan_with("custom_domain") == "metro" and cheapest_plan_with("operators") == "city"


def test_the_admins_switch_wins_over_the_plan_both_ways():
    deal = a_city(plan_code="town", flags={"custom_domain": True, "open311_api": False, "_admin_hold": True})
    assert has_feature(deal, "custom_domain") and not has_feature(deal, "open311_api")
    rows = {row.feature: row for row in entitlements(deal)}
    assert set(rows) == set(FEATURES)  # bookkeeping flags are not features
    assert rows["custom_domain"].enabled and not rows["custom_domain"].from_plan and rows["custom_domain"].override
    assert rows["portal"].enabled and rows["portal"].override is None


def test_an_unknown_feature_is_a_programming_error():
    with pytest.raises(KeyError):
        has_feature(a_city(), "teleportation")
