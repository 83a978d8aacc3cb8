"""Routing (zone polygons, keywords, channel, after hours) and the SLA clock (weekends, holidays, DST)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from civic311.db import db
from civic311.platform import sla, zones
from civic311.platform.intake import Location
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Department, Holiday, RoutingRule, Zone
from civic311.tenants.models import Tenant
from tests.engines.helpers import file, pothole_category

CHICAGO = ZoneInfo("America/Chicago")
UTC = ZoneInfo("UTC")
# Ward 2: a square around downtown Springfield (lng/lat, as GeoJSON has it).
WARD_2 = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Ward 2"},
          "geometry": {"type": "Polygon", "coordinates": [[[-89.66, 39.77], [-89.64, 39.77], [-89.64, 39.79],
                                                           [-89.66, 39.79], [-89.66, 39.77]]]}}]}


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def _zone(data=WARD_2) -> Zone:
    [(name, geometry)] = zones.polygons_from_geojson(data)
    min_lng, min_lat, max_lng, max_lat = zones.bounds_of(geometry)
    zone = Zone(name=name, geometry=geometry, min_lng=min_lng, min_lat=min_lat, max_lng=max_lng, max_lat=max_lat)
    db.session.add(zone)
    db.session.flush()
    return zone


def _department(name: str) -> Department:
    dept = Department(name=name)
    db.session.add(dept)
    db.session.flush()
    return dept


def _rule(name: str, position: int, conditions: dict, actions: dict) -> RoutingRule:
    rule = RoutingRule(name=name, position=position, conditions=conditions, actions=actions)
    db.session.add(rule)
    db.session.flush()
    return rule


def test_zone_polygon_routes_inside_not_outside(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        ward = _zone()
        crew = _department("Ward 2 Street Crew")
        _rule("Ward 2 potholes", 1, {"zone_ids": [str(ward.id)]}, {"department_id": str(crew.id), "tags": ["ward2"]})
        inside = file(location=Location(lat=39.78, lng=-89.65))
        outside = file(location=Location(lat=39.80, lng=-89.65))
        assert inside.zone_id == ward.id and inside.department_id == crew.id and inside.tags == ["ward2"]
        assert any("Ward 2" in line for line in inside.routing_explanation)
        assert outside.zone_id is None and outside.department.name == "Public Works"
        assert outside.routing_explanation[-2] == "No routing rule matched: the category's default department."


def test_keywords_channel_and_first_matching_rule_wins(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        gas = _department("Gas Emergency")
        phones = _department("Call Center Follow-up")
        _rule("Gas smell is urgent", 1, {"keywords": ["gas", "smell"]}, {"department_id": str(gas.id),
                                                                         "priority": "urgent"})
        _rule("Phone reports", 2, {"channels": ["phone"]}, {"department_id": str(phones.id)})
        smelly = file(description="Strong GAS smell near the hole", channel="phone")
        phoned = file(description="Hole in the road", channel="phone")
        web = file(description="Hole in the road", channel="portal")
        assert (smelly.department_id, smelly.priority) == (gas.id, "urgent")
        assert "description mentions gas, smell" in " ".join(smelly.routing_explanation)
        assert phoned.department_id == phones.id and phoned.routing_rule.name == "Phone reports"
        assert web.routing_rule_id is None


def test_after_hours_rule_uses_the_city_calendar(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        night = _department("Night Duty")
        _rule("After hours", 1, {"after_hours": True}, {"department_id": str(night.id), "sla_value": 4,
                                                        "sla_unit": "hours"})
        saturday = file(requested_at=_local(2026, 3, 7, 11, 0).astimezone(UTC))
        tuesday = file(requested_at=_local(2026, 3, 10, 11, 0).astimezone(UTC))
        late = file(requested_at=_local(2026, 3, 10, 19, 30).astimezone(UTC))
        assert saturday.department_id == night.id and late.department_id == night.id
        assert tuesday.department.name == "Public Works"
        assert saturday.due_at - saturday.requested_at == timedelta(hours=4)  # SLA override


def _calendar(holidays: set[date] = frozenset()) -> sla.BusinessCalendar:
    hours = {d: (time(8), time(17)) for d in range(1, 6)}
    return sla.BusinessCalendar(CHICAGO, hours, set(holidays))


def test_business_days_skip_the_weekend_and_a_holiday():
    friday_4pm = _local(2026, 3, 6, 16, 0)  # DST starts on Sunday 8 March
    assert _calendar().add(friday_4pm, 2, "business_days") == _local(2026, 3, 10, 16, 0).astimezone(UTC)
    monday_off = {date(2026, 3, 9)}
    assert _calendar(monday_off).add(friday_4pm, 2, "business_days") == _local(2026, 3, 11, 16, 0).astimezone(UTC)
    saturday = _local(2026, 3, 7, 10, 0)  # filed on a weekend: the clock starts Monday 8:00
    assert _calendar().add(saturday, 1, "business_days") == _local(2026, 3, 10, 8, 0).astimezone(UTC)


def test_business_hours_skip_nights_weekend_and_holiday():
    friday_4pm = _local(2026, 3, 6, 16, 0)
    assert _calendar().add(friday_4pm, 4, "business_hours") == _local(2026, 3, 9, 11, 0).astimezone(UTC)
    assert _calendar({date(2026, 3, 9)}).add(friday_4pm, 4, "business_hours") == \
        _local(2026, 3, 10, 11, 0).astimezone(UTC)
    assert _calendar().add(_local(2026, 3, 10, 9, 0), 9, "business_hours") == _local(2026, 3, 11, 9, 0).astimezone(UTC)


def test_city_holidays_and_national_holidays_move_due_dates(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        tenant = db.session.get(Tenant, a.id)
        tenant.holiday_country = "US"
        db.session.add(Holiday(day="2026-11-25", name="City staff day"))
        db.session.flush()
        wednesday_before_thanksgiving = _local(2026, 11, 24, 10, 0)  # a Tuesday, 10:00
        due, at_risk = sla.due_dates(tenant, None, wednesday_before_thanksgiving, 2, "business_days")
        # Wed 25 is the city's own holiday, Thu 26 is Thanksgiving, then Fri 27 and Mon 30.
        assert due == _local(2026, 11, 30, 10, 0).astimezone(UTC)
        assert wednesday_before_thanksgiving < at_risk < due
        assert sla.state_of(due, at_risk, None, at_risk) == "at_risk"
        assert sla.state_of(due, at_risk, None, due) == "breached"
        assert sla.state_of(due, at_risk, due, due) == "met"


def test_department_hours_override_the_city(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        tenant = db.session.get(Tenant, a.id)
        tenant.holiday_country = None
        crews = Department(name="Weekend crews", working_hours={str(d): ["07:00", "19:00"] for d in range(1, 8)})
        db.session.add(crews)
        db.session.flush()
        due, _ = sla.due_dates(tenant, crews, _local(2026, 3, 6, 18, 0), 2, "business_hours")
        assert due == _local(2026, 3, 7, 8, 0).astimezone(UTC)  # Saturday counts for this department


def test_a_group_rule_routes_every_category_of_the_group(two_tenants):
    from civic311.tenants.catalog import Category, CategoryGroup

    a, _ = two_tenants
    with tenant_context(a.id):
        streets = CategoryGroup(name="Streets")
        db.session.add(streets)
        db.session.flush()
        pothole_category(group_id=streets.id)
        db.session.add(Category(service_code="sidewalk", name="Broken sidewalk", group_id=streets.id))
        db.session.add(Category(service_code="noise", name="Noise"))
        crew = _department("Streets crew")
        _rule("Streets to the crew", 1, {"group_ids": [str(streets.id)]}, {"department_id": str(crew.id),
                                                                            "tags": ["streets"]})
        db.session.commit()
        pothole, sidewalk, noise = (file(service_code=code) for code in ("pothole", "sidewalk", "noise"))
        assert pothole.department_id == crew.id and sidewalk.department_id == crew.id
        assert pothole.tags == sidewalk.tags == ["streets"]
        assert "Rule “Streets to the crew” matched: category group matches." in sidewalk.routing_explanation
        assert noise.department_id is None and noise.routing_rule_id is None


def test_time_of_day_windows_in_the_city_time_including_overnight(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        night = _department("Night Duty")
        lunch = _department("Lunch cover")
        _rule("Night", 1, {"hours": ["22:00", "06:00"]}, {"department_id": str(night.id), "priority": "high"})
        _rule("Lunch", 2, {"hours": ["12:00", "13:00"]}, {"department_id": str(lunch.id)})
        db.session.commit()

        def at(*local):
            return file(requested_at=_local(*local).astimezone(UTC))

        assert at(2026, 3, 10, 23, 30).department_id == night.id  # before midnight
        early = at(2026, 3, 11, 5, 59)  # after midnight, still inside
        assert early.department_id == night.id and early.priority == "high"
        assert "filed between 22:00 and 06:00" in " ".join(early.routing_explanation)
        assert at(2026, 3, 11, 6, 0).routing_rule_id is None  # the end is not part of the window
        assert at(2026, 3, 11, 12, 0).department_id == lunch.id
        assert at(2026, 3, 11, 13, 0).routing_rule_id is None
        # The city's clock, not UTC: 23:30 in Chicago is 05:30 UTC the next day.
        summer = at(2026, 7, 1, 23, 30)
        assert summer.department_id == night.id and summer.requested_at.hour == 4


def test_working_hours_rules_and_combined_conditions(two_tenants):
    from civic311.tenants.catalog import CategoryGroup

    a, _ = two_tenants
    with tenant_context(a.id):
        streets = CategoryGroup(name="Streets")
        db.session.add(streets)
        db.session.flush()
        pothole_category(group_id=streets.id)
        day = _department("Day crew")
        evening = _department("Evening streets")
        _rule("Streets in the evening", 1, {"group_ids": [str(streets.id)], "hours": ["17:00", "22:00"]},
              {"department_id": str(evening.id)})
        _rule("Office hours", 2, {"after_hours": False}, {"department_id": str(day.id)})
        db.session.commit()
        tuesday_10 = file(requested_at=_local(2026, 3, 10, 10, 0).astimezone(UTC))
        tuesday_18 = file(requested_at=_local(2026, 3, 10, 18, 0).astimezone(UTC))
        saturday_10 = file(requested_at=_local(2026, 3, 7, 10, 0).astimezone(UTC))
        assert tuesday_10.department_id == day.id
        assert "filed during working hours" in " ".join(tuesday_10.routing_explanation)
        assert tuesday_18.department_id == evening.id
        assert saturday_10.routing_rule_id is None  # a weekend morning: neither rule holds


def test_a_malformed_time_window_never_blocks_intake(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        crew = _department("Midnight crew")
        _rule("Broken window", 1, {"hours": ["", "25:00"]}, {"priority": "urgent"})
        _rule("Until midnight", 2, {"hours": ["20:00", "24:00"]}, {"department_id": str(crew.id)})
        db.session.commit()
        late = file(requested_at=_local(2026, 3, 10, 23, 59).astimezone(UTC))
        assert late.priority == "normal" and late.department_id == crew.id


def test_a_department_with_no_working_hours_uses_the_city_calendar(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        tenant = db.session.get(Tenant, a.id)
        tenant.holiday_country = None
        nobody = Department(name="Hours never set", working_hours={str(d): None for d in range(1, 8)})
        blank = Department(name="Blank hours", working_hours={"1": [], "2": ["", ""], "3": ["09:00"]})
        db.session.add_all([nobody, blank])
        db.session.flush()
        friday_4pm = _local(2026, 3, 6, 16, 0)
        city_due, _ = sla.due_dates(tenant, None, friday_4pm, 2, "business_hours")
        assert city_due == _local(2026, 3, 9, 9, 0).astimezone(UTC)  # the city's Mon–Fri 8–17
        for department in (nobody, blank):
            assert sla.due_dates(tenant, department, friday_4pm, 2, "business_hours")[0] == city_due
        # And through intake: a category of that department still gets a due date.
        pothole_category(department_id=nobody.id)
        req = file(requested_at=friday_4pm.astimezone(UTC))
        assert req.due_at == _local(2026, 3, 10, 16, 0).astimezone(UTC)  # 2 business days


def test_with_no_hours_anywhere_the_clock_runs_around_the_clock(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        tenant = db.session.get(Tenant, a.id)
        tenant.working_hours = {str(d): None for d in range(1, 8)}
        db.session.add(Holiday(day="2026-03-09", name="Ignored: nobody keeps hours"))
        db.session.flush()
        saturday = _local(2026, 3, 7, 23, 30)
        assert sla.due_dates(tenant, None, saturday, 3, "business_hours")[0] == \
            _local(2026, 3, 8, 3, 30).astimezone(UTC)  # across the DST change at 2:00: 3 real hours
        two_days = sla.due_dates(tenant, None, saturday, 2, "business_days")[0]
        assert two_days == saturday.astimezone(UTC) + timedelta(days=2)
        assert sla.BusinessCalendar.for_tenant(tenant).is_open(saturday)


def test_staff_read_the_stored_explanation_in_their_own_language(app):
    from flask_babel import force_locale

    from civic311.platform import routing_text as explain

    stored = [explain.say(explain.ZONE, zone="Ward 2"),
              explain.rule_matched("Night crew", [explain.say(explain.BY_KEYWORDS, words="gas, smell"),
                                                  explain.say(explain.BETWEEN, start="22:00", end="06:00")]),
              explain.say(explain.SENT_TO, department="Water"), "A sentence from older data."]
    assert stored[1] == "Rule “Night crew” matched: description mentions gas, smell; filed between 22:00 and 06:00."
    with app.test_request_context(), force_locale("es"):
        shown = [explain.in_reader_language(line) for line in stored]
    assert shown == ["La ubicación está en la zona Ward 2.",
                     "Se aplicó la regla «Night crew»: la descripción menciona gas, smell; "
                     "presentado entre las 22:00 y las 06:00.",
                     "Enviado a Water.", "A sentence from older data."]
    with app.test_request_context(), force_locale("en"):
        assert [explain.in_reader_language(line) for line in stored] == stored
    with app.test_request_context(), force_locale("es"):
        always = explain.in_reader_language(explain.rule_matched("Everything", []))
    assert always == "Se aplicó la regla «Everything»: siempre."
