"""Geocoding: a typed address becomes a point on the map, so an address-only report still gets a pin,
shows up in "near me" and is checked for duplicates.

Two sources behind one interface (`Geocoder.locate`), asked in order:

1. the city's own gazetteer: the addresses of its earlier requests that have coordinates. It needs no
   network, so it works offline and in the demo; addresses are compared normalised, so
   "1200 Oak St" and "1200 OAK STREET, Springfield" are the same place.
2. an HTTP geocoder speaking Nominatim's search API, when `GEOCODER_URL` is set. It is asked with a
   short timeout; a failure is logged and answered "not found": a report is never lost because a
   geocoder is down, it files with the address only.
"""

from __future__ import annotations

import logging
import os
import re
import statistics
import threading
import unicodedata
from dataclasses import dataclass
from typing import Protocol

import requests
from flask import current_app, has_app_context
from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.geocoding")

GAZETTEER_CANDIDATES = 2000  # the most recent requests that may share the address, compared in Python
HTTP_TIMEOUT = (2.0, 4.0)  # connect, read: the resident is waiting for the next step
MAX_DISTANCE_KM = 60  # a "match" farther than this from the city's map centre is another town's street
CACHE_SIZE = 512

# One spelling for each word that is written several ways in street addresses.
CANONICAL_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "avenida": "ave", "boulevard": "blvd",
    "road": "rd", "drive": "dr", "lane": "ln", "court": "ct", "place": "pl", "parkway": "pkwy",
    "highway": "hwy", "terrace": "ter", "circle": "cir", "square": "sq", "trail": "trl", "alley": "aly",
    "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "sixth": "6th",
    "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
    "&": "and", "at": "and", "y": "and",
}
CANONICAL_SPELLINGS = frozenset(CANONICAL_WORDS.values())
UNIT_WORDS = {"apt", "apartment", "unit", "suite", "ste", "#", "floor", "fl"}
WORD_RE = re.compile(r"[a-z0-9]+|&|#")


@dataclass(frozen=True)
class Place:
    lat: float
    lng: float
    source: str  # "gazetteer" or "geocoder"


class Geocoder(Protocol):
    def locate(self, address: str, tenant: Tenant) -> Place | None: ...


def normalise_address(text: str | None) -> str:
    """The comparable form of an address: lower case, no accents or punctuation, one spelling per word,
    no city/state after the first comma and no apartment number."""
    folded = unicodedata.normalize("NFKD", text or "")
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    first_part = folded.split(",", 1)[0]
    words: list[str] = []
    for word in WORD_RE.findall(first_part):
        if word in UNIT_WORDS:
            break
        words.append(CANONICAL_WORDS.get(word, word))
    return " ".join(words)


# --- 1. the city's own gazetteer ------------------------------------------------------------------

class CityGazetteer:
    """Earlier requests of the current city that were pinned at the same (normalised) address."""

    def locate(self, address: str, tenant: Tenant) -> Place | None:
        key = normalise_address(address)
        if not key:
            return None
        found = [(lat, lng) for text, lat, lng in self._candidates(key) if normalise_address(text) == key]
        if not found:
            return None
        # The median: one request pinned at the wrong end of the street does not move the answer.
        return Place(lat=statistics.median(p[0] for p in found), lng=statistics.median(p[1] for p in found),
                     source="gazetteer")

    @staticmethod
    def _candidates(key: str) -> list[tuple[str, float, float]]:
        """Rows that may hold the address: same house number, or else containing its longest word."""
        words = key.split()
        # Words are [a-z0-9] only (see WORD_RE), so they hold no LIKE wildcard. A canonical word ("st",
        # "5th") may be spelt otherwise in the stored text, so the longest other word is searched.
        names = [w for w in words if w not in CANONICAL_SPELLINGS] or words
        pattern = f"{words[0]}%" if words[0].isdigit() else f"%{max(names, key=len)}%"
        rows = db.session.execute(
            select(ServiceRequest.address, ServiceRequest.lat, ServiceRequest.lng)
            .where(ServiceRequest.address.ilike(pattern), ServiceRequest.lat.is_not(None),
                   ServiceRequest.lng.is_not(None))
            .order_by(ServiceRequest.requested_at.desc())
            .limit(GAZETTEER_CANDIDATES)
        ).all()
        return [(text, float(lat), float(lng)) for text, lat, lng in rows]


# --- 2. an HTTP geocoder (Nominatim's search API) ---------------------------------------------------

class HttpGeocoder:
    """`GET {url}/search?q=...&format=jsonv2&limit=1`, biased to the city's surroundings."""

    def __init__(self, url: str, *, session: requests.Session | None = None):
        base = url.rstrip("/")
        self.url = base if base.endswith("/search") else f"{base}/search"
        self.session = session or requests.Session()
        # Nominatim's usage policy asks every application to name itself.
        self.session.headers["User-Agent"] = "civic311 (311 reporting for cities)"

    # Answers are kept (per geocoder and city): Nominatim asks clients not to repeat a query.
    _cache: dict[tuple[str, str, str], Place] = {}
    _cache_lock = threading.Lock()

    def locate(self, address: str, tenant: Tenant) -> Place | None:
        key = (self.url, str(tenant.id), normalise_address(address))
        with self._cache_lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        place = self._ask(address, tenant)
        if place is not None:
            with self._cache_lock:
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = place
        return place

    def _ask(self, address: str, tenant: Tenant) -> Place | None:
        center_lat, center_lng = _center(tenant)
        params = {"q": address, "format": "jsonv2", "limit": "1", "addressdetails": "0",
                  "viewbox": f"{center_lng - 0.3},{center_lat + 0.3},{center_lng + 0.3},{center_lat - 0.3}"}
        try:
            response = self.session.get(self.url, params=params, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            results = response.json()
            if not results:
                return None
            lat, lng = float(results[0]["lat"]), float(results[0]["lon"])
        except (requests.RequestException, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("geocoder %s failed for %r: %s", self.url, address, exc)
            return None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return None
        if _distance_km(lat, lng, center_lat, center_lng) > MAX_DISTANCE_KM:
            log.info("geocoder placed %r %.0f km from %s: ignored", address,
                     _distance_km(lat, lng, center_lat, center_lng), tenant.slug)
            return None
        return Place(lat=lat, lng=lng, source="geocoder")


def _center(tenant: Tenant) -> tuple[float, float]:
    try:
        lat, lng = tenant.map_center
        return float(lat), float(lng)
    except (TypeError, ValueError):
        return 0.0, 0.0


def _distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    from civic311.platform.intake import distance_m

    return distance_m(lat1, lng1, lat2, lng2) / 1000


# --- the one function callers use ---------------------------------------------------------------

def geocoder_url() -> str:
    """`GEOCODER_URL` from the app's config when set there, else from the environment ('' = none)."""
    configured = current_app.config.get("GEOCODER_URL") if has_app_context() else None
    if configured is not None:
        return str(configured).strip()
    return os.environ.get("GEOCODER_URL", "").strip()


def geocoders() -> list[Geocoder]:
    """The sources to ask, in order: the city's own data first (free, offline), then the HTTP geocoder."""
    found: list[Geocoder] = [CityGazetteer()]
    url = geocoder_url()
    if url:
        found.append(HttpGeocoder(url))
    return found


def geocode(address: str | None, tenant: Tenant) -> Place | None:
    """The point of a typed address in this city, or None when no source knows it."""
    if not normalise_address(address):
        return None
    for geocoder in geocoders():
        place = geocoder.locate(address, tenant)
        if place is not None:
            return place
    return None
