"""Reading parameters the way real clients send them: query string and form body alike, an empty
value meaning absent, both multivalue spellings of `attribute[...]`, and strict parsing that answers
400 (never 500) for anything malformed."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from civic311.open311.formats import Open311Error

ATTRIBUTE_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 1000


def all_params() -> CombinedMultiDict:
    """Query string first, then the form body (clients differ in where they put things). Built once per
    request: a search reads a dozen parameters."""
    combined = request.environ.get("civic311.open311_params")
    if combined is None:
        form = request.form if request.method in ("POST", "PUT", "PATCH") else MultiDict()
        combined = request.environ["civic311.open311_params"] = CombinedMultiDict([request.args, form])
    return combined


CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(value: str) -> str:
    """A stripped value. Control characters (NUL, which PostgreSQL cannot store, and the others,
    which XML 1.0 cannot carry) are refused as bad input."""
    if CONTROL.search(value):
        raise Open311Error(400, _("Parameters cannot contain control characters."))
    return value.strip()


def get(name: str, *aliases: str) -> str | None:
    """One parameter, stripped; empty counts as absent."""
    params = all_params()
    for key in (name, *aliases):
        for value in params.getlist(key):
            if isinstance(value, str) and value.strip():
                return clean(value)
    return None


def get_list(name: str) -> list[str]:
    """Every non-empty value of a repeated parameter."""
    return [clean(v) for v in all_params().getlist(name) if isinstance(v, str) and v.strip()]


def comma_list(name: str) -> list[str]:
    values: list[str] = []
    for raw in get_list(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def attributes() -> dict[str, str | list[str]]:
    """`attribute[CODE]=v`, `attribute[CODE][]=a&attribute[CODE][]=b` or `attribute[CODE]=a&attribute[CODE]=b`."""
    found: dict[str, list[str]] = {}
    params = all_params()
    for key in params:
        match = ATTRIBUTE_RE.match(key) if isinstance(key, str) else None
        if not match:
            continue
        values = [clean(v) for v in params.getlist(key) if isinstance(v, str) and v.strip()]
        found.setdefault(match.group(1), []).extend(values)
    return {code: values[0] if len(values) == 1 else values for code, values in found.items() if values}


def number(name: str, *aliases: str) -> float | None:
    raw = get(name, *aliases)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.", name=name)) from None
    if not math.isfinite(value):
        raise Open311Error(400, _("%(name)s must be a number.", name=name))
    return value


def integer(name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    raw = get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"\d{1,9}", raw):
        raise Open311Error(400, _("%(name)s must be a whole number.", name=name))
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            raise Open311Error(400, _("%(name)s must be at least %(min)s.", name=name, min=minimum))
        raise Open311Error(400, _("%(name)s must be between %(min)s and %(max)s.", name=name, min=minimum,
                                  max=maximum))
    return value


def parse_datetime(raw: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 date or datetime; a value without an offset is read in the city's timezone."""
    text = raw.strip().replace(" ", "T") if "T" not in raw and len(raw.strip()) > 10 else raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def date(name: str, tz: ZoneInfo) -> datetime | None:
    raw = get(name)
    if raw is None:
        return None
    try:
        return parse_datetime(raw, tz)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be an ISO 8601 date, like 2026-01-31T09:00:00-06:00.",
                                  name=name)) from None


def boolean(name: str) -> bool:
    return (get(name) or "").lower() in {"true", "1", "yes", "on"}


def bbox() -> tuple[float, float, float, float] | None:
    raw = get("bbox")
    if raw is None:
        return None
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise Open311Error(400, _("bbox must be minLng,minLat,maxLng,maxLat."))
    min_lng, min_lat, max_lng, max_lat = values
    if min_lng > max_lng or min_lat > max_lat:
        raise Open311Error(400, _("bbox must be minLng,minLat,maxLng,maxLat."))
    return min_lng, min_lat, max_lng, max_lat
