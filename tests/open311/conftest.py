"""Two cities with Open311 catalogs and keys, and helpers to call the API in either format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from civic311.db import db
from civic311.tenancy import tenant_context
from civic311.tenants.apikeys import issue_key
from civic311.tenants.catalog import Category, CategoryGroup, Department, Question


@dataclass
class City:
    tenant: object
    key: str
    slug: str


def seed_catalog(marker: str) -> None:
    works = Department(name=f"Public Works {marker}")
    parks = Department(name="Parks")
    streets = CategoryGroup(name="Streets")
    db.session.add_all([works, parks, streets])
    db.session.flush()
    pothole = Category(service_code="pothole", name="Pothole", description="A hole in the road",
                       keywords=["road", "hole"], group_id=streets.id, department_id=works.id, position=1)
    graffiti = Category(service_code="graffiti", name="Graffiti", description="Paint on public property",
                        department_id=parks.id, position=2)
    bulky = Category(service_code="bulky", name="Bulky item pickup", description="Sofa, fridge, mattress",
                     service_type="batch", department_id=works.id, position=3)
    light = Category(service_code="light", name="Streetlight out", department_id=works.id, position=4,
                     location_required=False)
    db.session.add_all([pothole, graffiti, bulky, light])
    db.session.flush()
    db.session.add_all([
        Question(category_id=pothole.id, code="size", datatype="singlevaluelist", required=True, position=1,
                 description="How big is it?", help_text="Compare with a dinner plate",
                 values=[{"key": "small", "name": "Smaller than a plate"}, {"key": "large", "name": "Larger"}]),
        Question(category_id=pothole.id, code="depth", datatype="number", required=False, position=2,
                 description="Depth in cm"),
        Question(category_id=graffiti.id, code="surface", datatype="multivaluelist", required=True, position=1,
                 description="What is painted?",
                 values=[{"key": "wall", "name": "Wall"}, {"key": "sign", "name": "Sign"},
                         {"key": "bench", "name": "Bench"}]),
        Question(category_id=graffiti.id, code="note", datatype="text", required=False, variable=False,
                 position=2, description="Offensive graffiti is removed within a day"),
    ])
    db.session.flush()


@pytest.fixture
def cities(two_tenants):
    a, b = two_tenants
    out = {}
    for tenant, marker in ((a, "ALPHA"), (b, "BRAVO")):
        with tenant_context(tenant.id):
            seed_catalog(marker)
            _, raw = issue_key(f"{marker} test key", rate_limit_per_minute=1000)
            db.session.commit()
        out[tenant.slug] = City(tenant, raw, tenant.slug)
    return out


def api_client(app, host: str):
    """A test client that really sends `Host: host` (Werkzeug 3.1 overwrites HTTP_HOST from base_url,
    so setting environ_base alone is not enough)."""
    client = app.test_client()
    plain_open = client.open

    def open_on_host(*args, **kwargs):
        kwargs.setdefault("base_url", f"http://{host}")
        return plain_open(*args, **kwargs)

    client.open = open_on_host
    return client


@pytest.fixture
def on_host(app):
    return lambda host: api_client(app, host)


@pytest.fixture
def alpha(cities, app):
    return api_client(app, "alpha.localhost")


@pytest.fixture
def bravo(cities, app):
    return api_client(app, "bravo.localhost")


@pytest.fixture
def platform(cities, app):
    return api_client(app, "localhost")


def parse(response, fmt: str):
    """The body as Python: JSON as is, XML as an ElementTree root (after checking the declaration)."""
    if fmt == "json":
        assert response.content_type == "application/json; charset=utf-8", response.content_type
        return json.loads(response.data)
    assert response.content_type == "text/xml; charset=utf-8", response.content_type
    text = response.data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>'), text[:80]
    root = ET.fromstring(response.data)
    assert "}" not in root.tag  # no namespace
    return root


def errors_of(response, fmt: str) -> list[tuple[int, str]]:
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list)
        return [(e["code"], e["description"]) for e in body]
    assert body.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in body.findall("error")]


def create(client, key: str, fmt: str = "json", **data):
    return client.post(f"/open311/v2/requests.{fmt}", data={"api_key": key, **data})


def new_request(client, key: str, **extra) -> str:
    data = {"service_code": "pothole", "lat": "39.78", "long": "-89.65", "attribute[size]": "large",
            "description": "Deep hole by the school", "email": "resident@example.com", **extra}
    response = create(client, key, **data)
    assert response.status_code == 200, response.data
    return json.loads(response.data)[0]["service_request_id"]
