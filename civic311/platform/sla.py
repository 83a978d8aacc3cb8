"""The SLA engine's clock: business calendars and due dates in business time.

A city (or a department) has working hours per weekday in its own timezone, and holidays (its own rows,
plus a national preset through the `holidays` package). "2 business days" from Friday 4 p.m. lands on
Tuesday 4 p.m.; hours skip nights, weekends and holidays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select

from civic311.db import db, utcnow
from civic311.platform import catalog_cache
from civic311.platform.catalog_cache import DepartmentInfo
from civic311.tenancy import tenant_id_or_none
from civic311.tenants.catalog import Department, Holiday
from civic311.tenants.models import Tenant

AT_RISK_FRACTION = 0.75  # at risk once three quarters of the allowed time has gone


ALWAYS_OPEN = {day: (time(0, 0), time.max) for day in range(1, 8)}


@dataclass
class BusinessCalendar:
    tz: ZoneInfo
    hours: dict[int, tuple[time, time]]  # ISO weekday -> open, close
    holidays: set[date]
    always_open: bool = False  # no working hours anywhere: business time is plain time

    @classmethod
    def for_tenant(cls, tenant: Tenant, department: Department | DepartmentInfo | None = None) -> BusinessCalendar:
        """The department's hours when it has any usable ones, else the city's; when neither has any
        (every day empty or null), the clock runs 24/7 rather than refusing to give a due date."""
        tz = ZoneInfo(tenant.timezone)
        hours = parse_hours(department.working_hours if department is not None else None) \
            or parse_hours(tenant.working_hours)
        if not hours:
            return cls(tz, dict(ALWAYS_OPEN), set(), always_open=True)
        return cls(tz, hours, set(own_holidays(tenant)) | national_holidays(tenant.holiday_country))

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.hours and day not in self.holidays

    def is_open(self, at: datetime | None = None) -> bool:
        local = (at or utcnow()).astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        start, end = self.hours[local.isoweekday()]
        return start <= local.time() < end

    def add(self, start: datetime, value: int, unit: str) -> datetime:
        """`start` plus `value` units of business (or calendar) time, as an aware UTC datetime."""
        # Calendar units are elapsed time (in UTC: an hour across a DST change is still an hour).
        if unit == "days" or (unit == "business_days" and self.always_open):
            return start.astimezone(ZoneInfo("UTC")) + timedelta(days=value)
        if unit == "hours" or (unit == "business_hours" and self.always_open):
            return start.astimezone(ZoneInfo("UTC")) + timedelta(hours=value)
        if unit == "business_days":
            return self._add_business_days(start, value)
        if unit == "business_hours":
            return self._add_business_minutes(start, value * 60)
        raise ValueError(f"unknown SLA unit {unit}")

    def _add_business_days(self, start: datetime, days: int) -> datetime:
        local = self._clamp_forward(start.astimezone(self.tz))
        day = local.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        open_t, close_t = self.hours[day.isoweekday()]
        clock = min(max(local.time(), open_t), close_t)
        return datetime.combine(day, clock, self.tz).astimezone(ZoneInfo("UTC"))

    def _add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        local = self._clamp_forward(start.astimezone(self.tz))
        remaining = timedelta(minutes=minutes)
        while True:
            _, close_t = self.hours[local.isoweekday()]
            close = datetime.combine(local.date(), close_t, self.tz)
            available = close - local
            if remaining <= available:
                return (local + remaining).astimezone(ZoneInfo("UTC"))
            remaining -= available
            local = self._clamp_forward(close + timedelta(minutes=1))

    def _clamp_forward(self, local: datetime) -> datetime:
        """The first working moment at or after `local`."""
        for _ in range(400):
            if self.is_working_day(local.date()):
                open_t, close_t = self.hours[local.isoweekday()]
                if local.time() < open_t:
                    return datetime.combine(local.date(), open_t, self.tz)
                if local.time() < close_t:
                    return local
            local = datetime.combine(local.date() + timedelta(days=1), time(0, 0), self.tz)
        raise ValueError("no working time within a year: check the working hours")


def parse_hours(raw: dict | None) -> dict[int, tuple[time, time]]:
    """{ISO weekday: (open, close)} from stored hours, leaving out days that are empty, null,
    malformed or closing before they open: such a day is simply not a working day."""
    hours: dict[int, tuple[time, time]] = {}
    for day, value in (raw or {}).items():
        if not value or not isinstance(value, list | tuple) or len(value) != 2 or not all(value):
            continue
        try:
            weekday, opens, closes = int(day), time.fromisoformat(value[0]), time.fromisoformat(value[1])
        except (TypeError, ValueError):
            continue
        if 1 <= weekday <= 7 and opens < closes:
            hours[weekday] = (opens, closes)
    return hours


def own_holidays(tenant: Tenant) -> frozenset[date]:
    """The city's own holidays: from the catalog cache for the current city (no query when it has
    not changed), else read directly."""
    if tenant_id_or_none() == tenant.id:
        return catalog_cache.current().holidays
    days = db.session.scalars(select(Holiday.day).where(Holiday.tenant_id == tenant.id))
    return frozenset(date.fromisoformat(d) for d in days)


def national_holidays(country: str | None) -> set[date]:
    if not country:
        return set()
    return _national_holidays(country, utcnow().year)


@lru_cache(maxsize=64)
def _national_holidays(country: str, year: int) -> frozenset[date]:
    # Computing a country's holidays costs milliseconds of CPU; intake asks on every request.
    import holidays as holiday_lib

    try:
        return frozenset(holiday_lib.country_holidays(country, years=range(year - 1, year + 3)).keys())
    except NotImplementedError:
        return frozenset()


def due_dates(tenant: Tenant, department: Department | DepartmentInfo | None, start: datetime, value: int, unit: str
              ) -> tuple[datetime, datetime]:
    """(due, at_risk): when the SLA is breached, and when it starts being at risk."""
    calendar = BusinessCalendar.for_tenant(tenant, department)
    due = calendar.add(start, value, unit)
    at_risk = start + (due - start) * AT_RISK_FRACTION
    return due, at_risk


def state_of(due_at: datetime | None, at_risk_at: datetime | None, closed_at: datetime | None,
             now: datetime | None = None) -> str:
    now = now or utcnow()
    if due_at is None:
        return "on_track"
    if closed_at is not None:
        return "met" if closed_at <= due_at else "missed"
    if now >= due_at:
        return "breached"
    if at_risk_at is not None and now >= at_risk_at:
        return "at_risk"
    return "on_track"
