"""A city with a small catalog for the portal's tests: groups, categories with questions of every
datatype, an emergency notice, a category that needs contact details and one that needs a photo."""

from __future__ import annotations

import pytest
from flask import g, has_app_context

from civic311.db import db
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, CategoryGroup, Department, Question
from tests.conftest import csrf_token_from


def seed_catalog() -> dict:
    roads = Department(name="Public Works")
    db.session.add(roads)
    db.session.flush()
    streets = CategoryGroup(name="Streets and sidewalks", name_i18n={"es": "Calles y aceras"}, position=1)
    safety = CategoryGroup(name="Safety", name_i18n={"es": "Seguridad"}, position=2)
    db.session.add_all([streets, safety])
    db.session.flush()
    pothole = Category(service_code="pothole", name="Pothole", name_i18n={"es": "Bache"}, group_id=streets.id,
                       department_id=roads.id, keywords=["hole", "road", "asphalt"], description="A hole in the road",
                       description_i18n={"es": "Un hoyo en la calle"}, position=1)
    light = Category(service_code="streetlight", name="Streetlight out", name_i18n={"es": "Farola apagada"},
                     group_id=streets.id, department_id=roads.id, keywords=["lamp", "dark"], position=2)
    wire = Category(service_code="downed-wire", name="Downed power line", name_i18n={"es": "Cable caído"},
                    group_id=safety.id, keywords=["electric", "cable"],
                    emergency_notice={"en": "If a wire is sparking or anyone is hurt, call 911 now.",
                                      "es": "Si un cable echa chispas o hay heridos, llame al 911 ahora."})
    graffiti = Category(service_code="graffiti", name="Graffiti", name_i18n={"es": "Grafiti"}, group_id=safety.id,
                        anonymous_allowed=False, contact_required=True, keywords=["paint", "tag"])
    db.session.add_all([pothole, light, wire, graffiti])
    db.session.flush()
    db.session.add_all([
        Question(category_id=pothole.id, code="size", datatype="singlevaluelist", required=True, position=1,
                 description="How big is it?", description_i18n={"es": "¿Qué tamaño tiene?"},
                 values=[{"key": "small", "name": "Smaller than a plate",
                          "name_i18n": {"es": "Más pequeño que un plato"}},
                         {"key": "large", "name": "Larger than a plate",
                          "name_i18n": {"es": "Más grande que un plato"}}]),
        Question(category_id=pothole.id, code="depth", datatype="number", required=False, position=2,
                 description="About how deep, in inches?", description_i18n={"es": "¿Qué profundidad, en pulgadas?"}),
        Question(category_id=pothole.id, code="lanes", datatype="multivaluelist", required=False, position=3,
                 description="Which lanes?", description_i18n={"es": "¿Qué carriles?"},
                 values=[{"key": "left", "name": "Left lane", "name_i18n": {"es": "Carril izquierdo"}},
                         {"key": "right", "name": "Right lane", "name_i18n": {"es": "Carril derecho"}}]),
        Question(category_id=light.id, code="pole", datatype="string", required=False, position=1,
                 description="Pole number, if you can see one"),
    ])
    db.session.flush()
    return {"pothole": pothole, "streetlight": light, "downed-wire": wire, "graffiti": graffiti}


@pytest.fixture
def city(ctx):
    from civic311.tenants.service import create_tenant

    tenant = create_tenant(slug="springfield", name="Springfield", status="active")
    tenant.phone = "(217) 555-0311"
    tenant.primary_color = "#4a90e2"  # too light for white text: the portal darkens it
    tenant.welcome_text = {"en": "Welcome to Springfield 311.", "es": "Bienvenido a Springfield 311."}
    db.session.flush()
    with tenant_context(tenant.id):
        seed_catalog()
        db.session.commit()
    other = create_tenant(slug="shelbyville", name="Shelbyville", status="active")
    db.session.flush()
    with tenant_context(other.id):
        seed_catalog()
        db.session.commit()
    return tenant


def city_client(app, host: str = "springfield.localhost"):
    """A test client that really sends `Host: host`: Werkzeug 3.1 overwrites HTTP_HOST from base_url,
    so tests.conftest.host_client's environ_base alone does not reach the app."""
    client = app.test_client()
    plain_open = client.open

    def open_on_host(*args, **kwargs):
        # The test's own app context (fixture `ctx`) is reused by each request, and with it `g`, where
        # Flask-Babel caches the locale: start each request with an empty `g`, as in production.
        if has_app_context():
            for name in list(vars(g)):
                g.pop(name)
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", f"http://{host}")
        return plain_open(*args, **kwargs)

    client.open = open_on_host
    return client


@pytest.fixture
def portal(app, city):
    return city_client(app)


def post_form(client, url: str, data: dict, **kw):
    """GET the page for its CSRF token, then POST the form (as a browser does)."""
    page = client.get(url)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kw)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The Spanish catalogue compiled as `make install` does (the .mo files are not in git)."""
    from civic311.translations_build import compile_all

    compile_all()
