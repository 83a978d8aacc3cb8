"""The settings' part of the demo: Springfield's wards, two routing rules that use them, holidays, and a
finished setup checklist (Shelbyville is left half-way through it, to show the wizard resuming).

Holidays: both cities keep the US national calendar switched on (the SLA clock reads it live), so their
own holiday rows hold only what the nation does not observe: Illinois' state holidays.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from civic311.actor import Actor, acting_as
from civic311.db import db
from civic311.demo.context import DemoContext
from civic311.tenancy import tenant_context
from civic311.tenants import settings_service as svc
from civic311.tenants import wizard
from civic311.tenants.catalog import Category, Department, Holiday, RoutingRule, Zone


def _wards_geojson(tenant) -> dict:
    """Four wards, one per quarter around the city's map center (used when the base seed made none)."""
    lat, lng = tenant.map_center
    south, west, north, east = lat - 0.045, lng - 0.065, lat + 0.045, lng + 0.065
    quarters = {"Ward 1 (Northwest)": (lat, west, north, lng), "Ward 2 (Northeast)": (lat, lng, north, east),
                "Ward 3 (Southwest)": (south, west, lat, lng), "Ward 4 (Southeast)": (south, lng, lat, east)}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}}
        for name, (s, w, n, e) in quarters.items()]}


def state_only_holidays(state: str, years: tuple[int, ...]) -> list[tuple[date, str]]:
    """(day, name) of the holidays a US state observes that the national calendar does not."""
    import holidays

    national = holidays.country_holidays("US", years=years)
    state_calendar = holidays.country_holidays("US", subdiv=state, years=years)
    return [(day, str(name)) for day, name in sorted(state_calendar.items()) if day not in national]


def _local_holidays(city, years: tuple[int, ...]) -> int:
    """The national calendar on, plus the city's own rows for Illinois' state-only holidays."""
    if city.holiday_country != "US":
        svc.set_national_calendar(city, "US")
    existing = set(db.session.scalars(select(Holiday.day)))
    added = 0
    for day, name in state_only_holidays("IL", years):
        if day.isoformat() not in existing:
            svc.add_holiday(day.isoformat(), name[:120])
            added += 1
    return added


def _admin_of(ctx: DemoContext, slug: str) -> Actor:
    admin = ctx.users.get(f"admin@{slug}.test")
    return Actor(label=admin.name if admin else "demo", user_id=admin.id if admin else None, is_staff=True)


def seed(ctx: DemoContext) -> None:
    import json

    springfield = ctx.cities.get("springfield")
    if springfield is None:
        return
    year = date.today().year
    with tenant_context(springfield.id), acting_as(_admin_of(ctx, "springfield")):
        zones = {z.name: z for z in db.session.scalars(select(Zone))}
        if not zones:
            svc.import_zones(json.dumps(_wards_geojson(springfield)).encode(), "ward", replace=True)
            zones = {z.name: z for z in db.session.scalars(select(Zone))}
        departments = {d.name: d for d in db.session.scalars(select(Department))}
        codes = {c.service_code: c for c in db.session.scalars(select(Category))}
        rules = 0
        if not db.session.scalar(select(RoutingRule.id)):
            northwest = zones.get("Ward 1 (Northwest)")
            if northwest and "Parks and Forestry" in departments and "tree-down" in codes:
                svc.save_rule(None, "Fallen trees in Ward 1 go to the Northwest forestry crew, urgently",
                              {"category_ids": [str(codes["tree-down"].id)], "zone_ids": [str(northwest.id)]},
                              {"department_id": str(departments["Parks and Forestry"].id), "priority": "urgent",
                               "sla_value": 4, "sla_unit": "hours"})
                rules += 1
            southeast = zones.get("Ward 4 (Southeast)")
            if southeast and "Public Works" in departments:
                svc.save_rule(None, "Sinkholes and collapses in Ward 4: Public Works, high priority",
                              {"zone_ids": [str(southeast.id)], "keywords": ["sinkhole", "collapse", "cave-in"]},
                              {"department_id": str(departments["Public Works"].id), "priority": "high",
                               "sla_value": 1, "sla_unit": "business_days"})
                rules += 1
        added = _local_holidays(springfield, (year, year + 1))
        springfield.setup_state = {"done": list(wizard.STEP_KEYS)}
        db.session.flush()
    shelbyville = ctx.cities.get("shelbyville")
    if shelbyville is not None:
        with tenant_context(shelbyville.id), acting_as(_admin_of(ctx, "shelbyville")):
            _local_holidays(shelbyville, (year, year + 1))
            db.session.flush()  # its rows and their audit belong to Shelbyville: write them while it is current
        shelbyville.setup_state = {"done": ["catalog", "branding", "channels", "hours"]}
    db.session.flush()
    ctx.say(f"Springfield settings: {len(zones)} wards, {rules} routing rules using them, the US national holidays "
            f"and {added} Illinois ones ({year}–{year + 1}). A new city starts from the platform home page: "
            "“Start your city” (its confirmation e-mail shows at /demo/mailbox).")
