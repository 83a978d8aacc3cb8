"""Every write of a city's configuration. Each verb audits what it changed.

Settings are read from the database on every request, so a change takes effect for the next request
filed, without a restart. Requests keep their own snapshots (category name, answers, SLA dates), so
editing a category never rewrites history.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from civic311 import audit
from civic311.db import db, utcnow
from civic311.tenancy import current_tenant_id
from civic311.tenants.catalog import CHANNELS, Category, Department, Holiday, Question, RoutingRule, Zone
from civic311.tenants.models import Tenant

LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
MAX_LOGO_BYTES = 2 * 1024 * 1024
DAYS = ("1", "2", "3", "4", "5", "6", "7")
MAX_TILE_URL = 300
MAX_ATTRIBUTION = 300
TILE_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
TILE_PLACEHOLDERS = ("z", "x", "y", "s", "r")
UNSAFE_URL_CHARS = re.compile(r"[\s\"'<>\\`]")
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class SettingsError(ValueError):
    """Refused input; `field` is the form field the message belongs next to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def tenant() -> Tenant:
    return db.session.get(Tenant, current_tenant_id())


# --- departments and categories ------------------------------------------------------------------

def add_department(name: str, contact_email: str | None = None, enabled: bool = True) -> Department:
    name = name.strip()
    if db.session.scalar(select(Department.id).where(func.lower(Department.name) == name.lower())):
        raise SettingsError("name", _("There is already a department with this name."))
    dept = Department(name=name, contact_email=contact_email or None, enabled=enabled)
    db.session.add(dept)
    db.session.flush()
    audit.record("department.created", target=dept, details={"name": name, "enabled": enabled})
    return dept


def set_department_enabled(dept: Department, enabled: bool) -> None:
    if dept.enabled == enabled:
        return
    dept.enabled = enabled
    audit.record("department.enabled" if enabled else "department.disabled", target=dept,
                 details={"name": dept.name})


def _unique_code(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "service"
    code, n = base, 2
    while db.session.scalar(select(Category.id).where(Category.service_code == code)):
        code, n = f"{base}-{n}", n + 1
    return code


def save_category(category: Category | None, data: dict) -> Category:
    """Create or edit a category. Existing requests keep their snapshot of the old values."""
    creating = category is None
    code = (data.get("service_code") or "").strip()
    if creating:
        code = code or _unique_code(data["name"])
        if db.session.scalar(select(Category.id).where(Category.service_code == code)):
            raise SettingsError("service_code", _("Another category already uses this code."))
        category = Category(service_code=code, name=data["name"].strip(), channels=list(CHANNELS))
        db.session.add(category)
    before = {k: getattr(category, k) for k in ("name", "department_id", "priority", "sla_value", "sla_unit",
                                                 "active", "description")}
    category.name = data["name"].strip()
    if data.get("name_es") is not None:
        category.name_i18n = {**category.name_i18n, "es": data["name_es"].strip()} if data["name_es"].strip() \
            else {k: v for k, v in category.name_i18n.items() if k != "es"}
    category.department_id = uuid.UUID(data["department_id"]) if data.get("department_id") else None
    category.priority = data.get("priority") or "normal"
    category.sla_value = int(data.get("sla_value") or 3)
    category.sla_unit = data.get("sla_unit") or "business_days"
    category.description = (data.get("description") or "").strip()
    category.active = bool(data.get("active", True))
    db.session.flush()
    after = {k: getattr(category, k) for k in before}
    changed = {k: [str(before[k]), str(after[k])] for k in before if before[k] != after[k]}
    audit.record("category.created" if creating else "category.changed", target=category,
                 details={"service_code": category.service_code, "changes": changed})
    return category


def add_question(category: Category, description: str, datatype: str, required: bool, choices: str = "",
                 description_es: str = "") -> Question:
    values = []
    if datatype in ("singlevaluelist", "multivaluelist"):
        lines = [line.strip() for line in (choices or "").splitlines() if line.strip()]
        if len(lines) < 2:
            raise SettingsError("choices", _("Give at least two choices, one a line."))
        values = [{"key": re.sub(r"[^a-z0-9]+", "_", line.lower()).strip("_") or f"c{i}", "name": line}
                  for i, line in enumerate(lines, start=1)]
    code = re.sub(r"[^a-z0-9]+", "_", description.lower()).strip("_")[:40] or "question"
    taken = {q.code for q in category.questions}
    base, n = code, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    question = Question(category_id=category.id, code=code, datatype=datatype, required=required,
                        position=len(category.questions) + 1, description=description.strip(),
                        description_i18n={"es": description_es.strip()} if description_es.strip() else {},
                        values=values)
    db.session.add(question)
    db.session.flush()
    db.session.refresh(category)
    audit.record("question.created", target=question, details={"category": category.service_code, "code": code})
    return question


def delete_question(question: Question) -> None:
    audit.record("question.deleted", target=question, details={"code": question.code})
    db.session.delete(question)
    db.session.flush()


def adopt_starter(group_keys: list[str], category_codes: list[str]) -> int:
    """Copy chosen groups and categories of the starter catalog into this city (it audits the adoption)."""
    from civic311.tenants import starter_catalog

    try:
        result = starter_catalog.adopt_starter_catalog(group_keys or None, category_codes or None)
    except starter_catalog.StarterCatalogError as exc:
        raise SettingsError("category", str(exc)) from None
    return len(result.categories)


# --- branding ------------------------------------------------------------------------------------

def relative_luminance(color: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def check_logo(data: bytes) -> str:
    """The image's file extension, or a SettingsError saying why it is not a usable logo."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_LOGO_BYTES:
        raise SettingsError("logo", _("The logo is larger than 2 MB. Use a smaller image."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise SettingsError("logo", _("This file is not an image. Upload a PNG, JPEG or WebP logo.")) from None
    if kind not in LOGO_FORMATS:
        raise SettingsError("logo", _("Upload a PNG, JPEG or WebP logo."))
    return LOGO_FORMATS[kind]


def store_logo(city: Tenant, data: bytes, ext: str) -> str:
    key = f"{city.id}/branding/logo-{uuid.uuid4().hex[:8]}.{ext}"
    try:
        from civic311.platform import storage
    except ImportError:
        storage = None
    if storage is not None and hasattr(storage, "put"):
        storage.put(key, data, content_type=f"image/{'jpeg' if ext == 'jpg' else ext}")
    else:  # until the storage seam exists: the upload directory
        from flask import current_app

        path = current_app.config["CIVIC311"].upload_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return key


@dataclass
class MapSettings:
    """The city's own tile server for the portal and console maps (None: no map, the address field only)."""

    tile_url: str
    attribution: str
    center: tuple[float | None, float | None] | None = None


def check_map(settings: MapSettings) -> tuple[str | None, str | None]:
    """(tile URL, attribution) ready to save, both None for "no map", or a SettingsError saying why not.

    The URL must be https (the pages' Content-Security-Policy allows images from https only, and a
    resident's browser would warn about mixed content) and a Leaflet template with {z}, {x} and {y}.
    The attribution is the tile provider's licence requirement: plain text, escaped wherever shown.
    """
    url = settings.tile_url.strip()
    attribution = " ".join(settings.attribution.split())
    if not url:
        return None, None
    if len(url) > MAX_TILE_URL or UNSAFE_URL_CHARS.search(url):
        raise SettingsError("tile_url", _("Type the tile address as one line of at most 300 characters, "
                                          "without spaces or quotes."))
    parts = urlsplit(TILE_PLACEHOLDER_RE.sub("a", url))  # {s}.tiles.example.org is a real host name
    if parts.scheme != "https" or not HOSTNAME_RE.match(parts.hostname or "") or parts.username or parts.password:
        raise SettingsError("tile_url", _("Use an https:// address of a tile server, like "
                                          "https://tiles.example.org/{z}/{x}/{y}.png."))
    placeholders = TILE_PLACEHOLDER_RE.findall(url)
    unknown = [p for p in placeholders if p not in TILE_PLACEHOLDERS]
    if unknown:
        raise SettingsError("tile_url", _("The address uses {%(name)s}, which maps do not fill in: use {z}, {x}, "
                                          "{y} and optionally {s} or {r}.", name=unknown[0]))
    if any(placeholders.count(p) != 1 for p in ("z", "x", "y")):
        raise SettingsError("tile_url", _("The address needs {z}, {x} and {y}, once each: they say which "
                                          "tile to fetch."))
    if not attribution:
        raise SettingsError("tile_attribution", _("Say whose map this is (the tile provider's attribution, "
                                                  "such as © OpenStreetMap contributors)."))
    if len(attribution) > MAX_ATTRIBUTION:
        raise SettingsError("tile_attribution", _("Keep the attribution under 300 characters."))
    return url, attribution


def check_center(center: tuple[float | None, float | None] | None) -> list[float] | None:
    if center is None:
        return None
    lat, lng = center
    if lat is None or lng is None:
        raise SettingsError("map_lat" if lat is None else "map_lng",
                            _("Give both the latitude and the longitude of the map centre."))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise SettingsError("map_lat", _("The map centre must be a latitude and a longitude in degrees."))
    return [round(lat, 6), round(lng, 6)]


@dataclass
class Branding:
    display_name: str
    primary_color: str
    accent_color: str
    welcome_en: str
    welcome_es: str
    phone: str
    hours_text: str
    logo: bytes | None = None
    map: MapSettings | None = None  # None: leave the map as it is


def update_branding(city: Tenant, b: Branding) -> None:
    """Check everything first (colours, logo), then save: nothing is half-saved."""
    white = "#ffffff"
    if contrast_ratio(b.primary_color, white) < 4.5:
        raise SettingsError("primary_color", _(
            "White text on this colour has a contrast of %(r).1f:1; it needs at least 4.5:1. Choose a darker "
            "colour.", r=contrast_ratio(b.primary_color, white)))
    if contrast_ratio(b.accent_color, white) < 3.0:
        raise SettingsError("accent_color", _(
            "This accent colour has a contrast of %(r).1f:1 on white; it needs at least 3:1. Choose a darker "
            "colour.", r=contrast_ratio(b.accent_color, white)))
    ext = check_logo(b.logo) if b.logo else None
    if b.map is not None:
        tile_url, attribution = check_map(b.map)
        center = check_center(b.map.center)
    map_before = (city.tile_url, city.tile_attribution, list(city.map_center or []))
    city.display_name = b.display_name.strip() or None
    city.primary_color = b.primary_color.lower()
    city.accent_color = b.accent_color.lower()
    city.welcome_text = {k: v.strip() for k, v in (("en", b.welcome_en), ("es", b.welcome_es)) if v and v.strip()}
    city.phone = b.phone.strip() or None
    city.hours_text = b.hours_text.strip() or None
    if ext:
        city.logo_key = store_logo(city, b.logo, ext)
    if b.map is not None:
        city.tile_url, city.tile_attribution = tile_url, attribution
        if center is not None:
            city.map_center = center
    audit.record("tenant.branding_changed", target=city, details={
        "primary_color": city.primary_color, "accent_color": city.accent_color, "logo_changed": bool(ext)})
    map_after = (city.tile_url, city.tile_attribution, list(city.map_center or []))
    if map_after != map_before:
        audit.record("tenant.map_changed", target=city, details={
            "tile_url": city.tile_url, "attribution": city.tile_attribution, "center": city.map_center,
            "previous": {"tile_url": map_before[0], "attribution": map_before[1], "center": map_before[2]}})


# --- channels ------------------------------------------------------------------------------------

def update_channels(city: Tenant, switches: dict[str, bool], category_channels: dict[uuid.UUID, list[str]]) -> None:
    city.channels = {k: bool(switches.get(k)) for k in ("portal", "api", "agent")}
    changed = []
    for category in db.session.scalars(select(Category)):
        if category.id not in category_channels:
            continue
        wanted = [c for c in CHANNELS if c in category_channels[category.id] or c == "import"]
        if wanted != list(category.channels):
            category.channels = wanted
            changed.append(category.service_code)
    audit.record("tenant.channels_changed", target=city, details={"channels": city.channels,
                                                                  "categories_changed": changed})


# --- working hours, holidays, escalation ---------------------------------------------------------

def update_working_hours(city: Tenant, hours: dict[str, tuple[str, str] | None]) -> None:
    result = {}
    for day in DAYS:
        span = hours.get(day)
        if not span:
            continue
        start, end = span
        if not (TIME_RE.match(start) and TIME_RE.match(end)):
            raise SettingsError(f"day{day}", _("Use times like 08:00 and 17:00."))
        if end <= start:
            raise SettingsError(f"day{day}", _("The closing time must be after the opening time."))
        result[day] = [start, end]
    if not result:
        raise SettingsError("day1", _("Open the city at least one day a week."))
    city.working_hours = result
    audit.record("tenant.working_hours_changed", target=city, details={"working_hours": result})


def set_national_calendar(city: Tenant, country: str | None) -> None:
    """The national holidays the SLA clock skips (through the `holidays` package), or None for none."""
    import holidays

    if country:
        try:
            holidays.country_holidays(country)
        except NotImplementedError:
            raise SettingsError("country", _("There is no holiday calendar for this country.")) from None
    previous = city.holiday_country
    city.holiday_country = country or None
    audit.record("tenant.holiday_calendar_changed", target=city,
                 details={"holiday_country": city.holiday_country, "previous": previous})


def national_holidays_listed(country: str | None, today) -> list[tuple[str, str]]:
    """(date, name) of the national holidays from today through next year, for the page."""
    import holidays

    if not country:
        return []
    try:
        calendar = holidays.country_holidays(country, years=[today.year, today.year + 1])
    except NotImplementedError:
        return []
    return [(day.isoformat(), str(name)) for day, name in sorted(calendar.items()) if day >= today]


def add_holiday(day: str, name: str) -> Holiday:
    from datetime import date

    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise SettingsError("day", _("This is not a real date.")) from None
    if db.session.scalar(select(Holiday.id).where(Holiday.day == day)):
        raise SettingsError("day", _("This day is already a holiday."))
    national = national_holiday_on(tenant().holiday_country, when)
    if national:  # it already stops the clock; a second row would list it twice
        raise SettingsError("day", _("This day is already a national holiday (%(name)s): the national calendar "
                                     "counts it.", name=national))
    holiday = Holiday(day=day, name=name.strip())
    db.session.add(holiday)
    db.session.flush()
    audit.record("holiday.added", target=holiday, details={"day": day, "name": name})
    return holiday


def national_holiday_on(country: str | None, day) -> str | None:
    """The name of the national holiday on `day` in `country`'s calendar, or None."""
    import holidays

    if not country:
        return None
    try:
        return holidays.country_holidays(country, years=day.year).get(day)
    except NotImplementedError:
        return None


def delete_holiday(holiday: Holiday) -> None:
    audit.record("holiday.deleted", target=holiday, details={"day": holiday.day, "name": holiday.name})
    db.session.delete(holiday)


def update_escalation(city: Tenant, policy: dict) -> None:
    city.escalation_policy = policy
    audit.record("tenant.escalation_changed", target=city, details=policy)


# --- zones ---------------------------------------------------------------------------------------

def import_zones(raw: bytes, kind: str, replace: bool) -> list[Zone]:
    """Zones from an uploaded GeoJSON file: all of them, or none (a non-polygon refuses the file)."""
    from civic311.platform.zones import ZoneError, bounds_of, polygons_from_geojson

    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise SettingsError("geojson", _("This file is not GeoJSON (it is not readable JSON text).")) from None
    try:
        polygons = polygons_from_geojson(data)
    except ZoneError as exc:
        raise SettingsError("geojson", _("This GeoJSON cannot be used: %(why)s. Only polygons can be zones.",
                                         why=str(exc))) from None
    names = [name for name, _geometry in polygons]
    if len(set(names)) != len(names):
        raise SettingsError("geojson", _("Two features have the same name; each zone needs its own name."))
    kind = kind.strip().lower() or "ward"
    if replace:
        db.session.execute(delete(Zone).where(Zone.kind == kind))
    existing = set(db.session.scalars(select(Zone.name)))
    clash = [n for n in names if n in existing]
    if clash:
        raise SettingsError("geojson", _("A zone named %(name)s already exists.", name=clash[0]))
    zones = []
    for name, geometry in polygons:
        min_lng, min_lat, max_lng, max_lat = bounds_of(geometry)
        zone = Zone(name=name, kind=kind, geometry=geometry, min_lng=min_lng, min_lat=min_lat,
                    max_lng=max_lng, max_lat=max_lat)
        db.session.add(zone)
        zones.append(zone)
    db.session.flush()
    audit.record("zones.imported", details={"kind": kind, "names": names, "replaced": replace})
    return zones


def delete_zone(zone: Zone) -> None:
    audit.record("zone.deleted", target=zone, details={"name": zone.name})
    db.session.delete(zone)


# --- routing rules -------------------------------------------------------------------------------

def save_rule(rule: RoutingRule | None, name: str, conditions: dict, actions: dict) -> RoutingRule:
    if not actions:
        raise SettingsError("department_id", _("Say what the rule does: a department, a priority or a target time."))
    creating = rule is None
    if creating:
        last = db.session.scalar(select(func.max(RoutingRule.position))) or 0
        rule = RoutingRule(name=name, position=last + 1)
        db.session.add(rule)
    rule.name = name.strip()
    rule.conditions = conditions
    rule.actions = actions
    db.session.flush()
    audit.record("routing_rule.created" if creating else "routing_rule.changed", target=rule,
                 details={"name": rule.name, "conditions": conditions, "actions": actions})
    return rule


def move_rule(rule: RoutingRule, direction: int) -> None:
    rules = list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.created_at)))
    index = rules.index(rule)
    other = index + (-1 if direction < 0 else 1)
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        item.position = position
    audit.record("routing_rule.moved", target=rule, details={"name": rule.name, "order": [r.name for r in rules]})


def delete_rule(rule: RoutingRule) -> bool:
    """Delete a rule, True when it is gone. A rule that routed requests is kept, switched off: those
    requests name it ("which rule routed it and why"), and their history is never rewritten."""
    from civic311.platform.models import ServiceRequest  # the engines import this module

    used = db.session.scalar(select(func.count(ServiceRequest.id)).where(ServiceRequest.routing_rule_id == rule.id))
    if used:
        set_rule_active(rule, False)
        return False
    audit.record("routing_rule.deleted", target=rule, details={"name": rule.name})
    db.session.delete(rule)
    return True


def set_rule_active(rule: RoutingRule, active: bool) -> None:
    if rule.active != active:
        rule.active = active
        audit.record("routing_rule.switched_on" if active else "routing_rule.switched_off", target=rule,
                     details={"name": rule.name})


# --- going live ----------------------------------------------------------------------------------

def go_live(city: Tenant) -> None:
    live_categories = db.session.scalar(
        select(func.count(Category.id)).outerjoin(
            Department, (Department.tenant_id == Category.tenant_id) & (Department.id == Category.department_id))
        .where(Category.active.is_(True), (Department.id.is_(None)) | (Department.enabled.is_(True))))
    if not live_categories:
        raise SettingsError("go_live", _("Offer at least one category in an enabled department before going live."))
    if city.live_at is None:
        city.live_at = utcnow()
        state = dict(city.setup_state or {})
        state["done"] = sorted(set(state.get("done", [])) | {"golive"})
        city.setup_state = state
        audit.record("tenant.went_live", target=city, details={"live_at": city.live_at.isoformat()})
