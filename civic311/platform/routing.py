"""The routing engine: ordered rules per city decide department, priority, SLA and tags.

The first active rule (by position) whose conditions all hold wins; with none, the category's default
department. Every decision carries its explanation, which staff see on the request.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from civic311.platform import catalog_cache
from civic311.platform import routing_text as explain
from civic311.platform.catalog_cache import RuleInfo
from civic311.tenants.catalog import Category
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.routing")


@dataclass
class RoutingInput:
    category: Category
    channel: str
    description: str = ""
    lat: float | None = None
    lng: float | None = None
    at: datetime | None = None


@dataclass
class RoutingDecision:
    department_id: uuid.UUID | None
    priority: str
    sla_value: int
    sla_unit: str
    tags: list[str] = field(default_factory=list)
    rule_id: uuid.UUID | None = None
    zone_id: uuid.UUID | None = None
    explanation: list[str] = field(default_factory=list)


def route(tenant: Tenant, item: RoutingInput) -> RoutingDecision:
    catalog = catalog_cache.current()
    has_point = item.lat is not None and item.lng is not None
    zone = catalog.zone_at(item.lat, item.lng) if has_point else None
    category = item.category
    decision = RoutingDecision(
        department_id=category.department_id,
        priority=category.priority,
        sla_value=category.sla_value,
        sla_unit=category.sla_unit,
        zone_id=zone.id if zone else None,
    )
    if zone is not None:
        decision.explanation.append(explain.say(explain.ZONE, zone=zone.name))
    for rule in catalog.rules:
        reasons = _matches(rule, tenant, item, zone.id if zone else None)
        if reasons is None:
            continue
        decision.rule_id = rule.id
        decision.explanation.append(explain.rule_matched(rule.name, reasons))
        _apply(rule.actions, decision)
        break
    else:
        decision.explanation.append(explain.NO_RULE)
    department = catalog.department(decision.department_id)
    if department is not None:
        decision.explanation.append(explain.say(explain.SENT_TO, department=department.name))
    return decision


def _matches(rule: RuleInfo, tenant: Tenant, item: RoutingInput, zone_id: uuid.UUID | None) -> list[str] | None:
    """The reasons the rule matches, or None when any condition fails."""
    cond = rule.conditions or {}
    reasons: list[str] = []
    if cond.get("category_ids"):
        if str(item.category.id) not in cond["category_ids"]:
            return None
        reasons.append(explain.say(explain.BY_CATEGORY, category=item.category.name))
    if cond.get("group_ids"):
        if not item.category.group_id or str(item.category.group_id) not in cond["group_ids"]:
            return None
        reasons.append(explain.BY_GROUP)
    if cond.get("zone_ids"):
        if zone_id is None or str(zone_id) not in cond["zone_ids"]:
            return None
        reasons.append(explain.BY_ZONE)
    if cond.get("keywords"):
        text = (item.description or "").lower()
        found = [k for k in cond["keywords"] if k and k.lower() in text]
        if not found:
            return None
        reasons.append(explain.say(explain.BY_KEYWORDS, words=", ".join(found)))
    if cond.get("channels"):
        if item.channel not in cond["channels"]:
            return None
        reasons.append(explain.say(explain.BY_CHANNEL, channel=item.channel))
    if "after_hours" in cond and cond["after_hours"] is not None:
        after = is_after_hours(tenant, item.at)
        if after != bool(cond["after_hours"]):
            return None
        reasons.append(explain.AFTER_HOURS if after else explain.DURING_HOURS)
    if cond.get("hours"):
        window = time_window(cond["hours"])
        if window is None:  # a rule nobody can read never matches; it must not stop the request
            log.warning("routing rule %r has an unreadable time window %r", rule.name, cond["hours"])
            return None
        start, end = window
        local = _local(tenant, item.at).time()
        inside = start <= local < end if start <= end else (local >= start or local < end)
        if not inside:
            return None
        reasons.append(explain.say(explain.BETWEEN, start=cond["hours"][0], end=cond["hours"][1]))
    return reasons


def time_window(hours: object) -> tuple[time, time] | None:
    """["HH:MM", "HH:MM"] in the city's time; "24:00" ends at midnight; None when unreadable."""
    if not isinstance(hours, list | tuple) or len(hours) != 2:
        return None
    bounds = []
    for value in hours:
        text = str(value or "").strip()
        if text in ("24:00", "24:00:00"):
            bounds.append(time.max)
            continue
        try:
            bounds.append(time.fromisoformat(text))
        except ValueError:
            return None
    return bounds[0], bounds[1]


def _apply(actions: dict, decision: RoutingDecision) -> None:
    if actions.get("department_id"):
        decision.department_id = uuid.UUID(str(actions["department_id"]))
    if actions.get("priority"):
        decision.priority = actions["priority"]
    if actions.get("sla_value"):
        decision.sla_value = int(actions["sla_value"])
        decision.sla_unit = actions.get("sla_unit") or decision.sla_unit
    if actions.get("tags"):
        decision.tags = sorted(set(decision.tags) | set(actions["tags"]))


def _local(tenant: Tenant, at: datetime | None) -> datetime:
    from civic311.db import utcnow

    return (at or utcnow()).astimezone(ZoneInfo(tenant.timezone))


def is_after_hours(tenant: Tenant, at: datetime | None) -> bool:
    from civic311.platform.sla import BusinessCalendar

    return not BusinessCalendar.for_tenant(tenant).is_open(at)
