"""City zones (wards, districts): GeoJSON polygons, and which one contains a point."""

from __future__ import annotations

from functools import lru_cache

from shapely.geometry import Point, shape
from sqlalchemy import select

from civic311.db import db
from civic311.tenants.catalog import Zone


class ZoneError(ValueError):
    pass


def zone_at(lat: float, lng: float) -> Zone | None:
    """The first zone whose polygon contains the point (bounding boxes narrow the search first)."""
    candidates = db.session.scalars(
        select(Zone).where(Zone.min_lng <= lng, Zone.max_lng >= lng, Zone.min_lat <= lat, Zone.max_lat >= lat)
        .order_by(Zone.name)
    )
    point = Point(lng, lat)
    for zone in candidates:
        if _geometry(str(zone.id), _freeze(zone.geometry)).covers(point):
            return zone
    return None


def _freeze(geometry: dict) -> str:
    import json

    return json.dumps(geometry, sort_keys=True)


@lru_cache(maxsize=512)
def _geometry(_zone_id: str, frozen: str):
    import json

    return shape(json.loads(frozen))


def polygons_from_geojson(data: dict) -> list[tuple[str, dict]]:
    """(name, geometry) for each polygon feature; anything that is not polygons is refused whole."""
    if not isinstance(data, dict):
        raise ZoneError("the file is not a GeoJSON object")
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features") or []
        if not isinstance(features, list):
            raise ZoneError("the FeatureCollection's features are not a list")
    elif kind == "Feature":
        features = [data]
    elif kind in ("Polygon", "MultiPolygon"):
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise ZoneError("expected a FeatureCollection of Polygon or MultiPolygon features")
    if not features:
        raise ZoneError("the file has no features")
    result = []
    for index, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry") or {}, dict):
            raise ZoneError(f"feature {index} is not a GeoJSON feature")
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ZoneError(f"feature {index} is a {geometry.get('type') or 'missing geometry'}, not a polygon")
        try:
            geom = shape(geometry)
        except Exception as exc:
            raise ZoneError(f"feature {index} has unreadable coordinates") from exc
        if not geom.is_valid or geom.is_empty:
            raise ZoneError(f"feature {index} is not a valid polygon")
        min_lng, min_lat, max_lng, max_lat = geom.bounds
        if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ZoneError(f"feature {index} has coordinates outside longitude/latitude degrees "
                            "(use WGS 84, EPSG:4326)")
        props = feature.get("properties") or {}
        name = next((str(props[k]) for k in ("name", "NAME", "ward", "district") if props.get(k)), f"Zone {index}")
        result.append((name[:120], geometry))
    return result


def bounds_of(geometry: dict) -> tuple[float, float, float, float]:
    return shape(geometry).bounds  # min_lng, min_lat, max_lng, max_lat
