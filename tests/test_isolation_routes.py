"""Every URL rule, found automatically: asked as city A with city B's ids, it answers 404 and never
shows B's marker text.

City B is filled with one row of every tenant-owned model, every string holding the marker. Each
rule is called on the platform host (signed in as A's city admin) and on A's own host, with its URL
parameters filled from B's rows; rules without a B parameter must still never show B's marker.
"""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import inspect

from civic311.accounts.service import create_user, grant_membership
from civic311.db import db
from civic311.tenancy import tenant_context
from tests.conftest import host_client
from tests.factories import make_row, tenant_models

MARKER = "BRAVOSECRET"
PASSWORD = "correct horse battery"


def _seed_city(tenant, marker):
    rows: dict[str, list] = {}
    with tenant_context(tenant.id):
        for model in tenant_models():
            row = make_row(model, marker=marker)
            rows.setdefault(model.__tablename__, []).append(row)
        db.session.flush()
        values = {name: [_row_values(r) for r in items] for name, items in rows.items()}
        db.session.commit()
    return values


def _row_values(row) -> dict:
    mapper = inspect(type(row))
    return {attr.key: getattr(row, attr.key) for attr in mapper.column_attrs}


NEUTRAL_ARGS = {"fmt": "json", "format": "json", "filename": "x.png", "path": "x.png", "lang": "en"}


def _candidates(arg: str, b_rows: dict, b_slug: str) -> list[str]:
    """Values from city B for one URL argument, chosen by its name (several when the name is vague)."""
    name = arg.lower()
    if name in NEUTRAL_ARGS:
        return [NEUTRAL_ARGS[name]]
    if name in ("slug", "city", "tenant"):
        return [b_slug]
    request = b_rows["service_requests"][0]
    if "number" in name or name in ("tracking", "service_request_id"):
        return [request["number"]]
    if "token" in name:
        return [(b_rows.get("submission_tokens") or [{"token": MARKER}])[0]["token"]]
    if "code" in name:
        return [b_rows["categories"][0]["service_code"]]
    stem = re.sub(r"_?(id|uuid|key)$", "", name)
    found = []
    for table, rows in b_rows.items():
        singular = table[:-1] if table.endswith("s") else table
        if stem and (singular == stem or table == stem or singular.endswith("_" + stem)):
            found.append(str(rows[0]["id"]))
    if not found and stem:
        found = [str(rows[0]["id"]) for table, rows in b_rows.items() if table.startswith(stem)][:1]
    if "request" in name or not found:
        found += [str(request["id"]), request["number"]]
    return list(dict.fromkeys(found))


def _login(client, email):
    from tests.conftest import csrf_token_from

    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token_from(page)})


@pytest.fixture
def cities(app, two_tenants):
    a, b = two_tenants
    b_rows = _seed_city(b, MARKER)
    _seed_city(a, "ALPHAVISIBLE")
    admin = create_user("admin@alpha.test", "Alpha admin", PASSWORD)
    with tenant_context(a.id):
        grant_membership(admin, "admin")
        db.session.commit()
    return a.slug, b.slug, b_rows


def _try(rule, path: str, cross: set, echoed: list[str], a_slug: str, clients) -> list[str]:
    failures = []
    methods = [m for m in ("GET", "POST") if m in rule.methods]
    for client, host_kind in clients:
        for method in methods:
            if method == "POST" and not cross:
                continue  # nothing of B's to aim at; posting empty forms to A is not this test
            # jurisdiction_id names city A, as an Open311 client of A would; other views ignore it.
            response = client.open(path, method=method, data={}, query_string={"jurisdiction_id": a_slug})
            body = response.get_data(as_text=True)
            for value in echoed:  # an error message may repeat the id it was given: that is not B's data
                body = body.replace(value, "")
            if MARKER in body:
                failures.append(f"{method} {host_kind} {path}: shows city B's data")
            if response.status_code >= 500:
                failures.append(f"{method} {host_kind} {path}: {response.status_code}")
            refusals = {301, 302, 303, 401, 403, 404, 405, 410}
            if cross and all("token" in arg for arg in cross):
                refusals.add(400)  # a token is not an id of B's: "invalid link" is a fair answer
            if host_kind == "platform" and "slug" in cross and response.status_code != 404:
                # Another city's console answers exactly as a city that does not exist.
                failures.append(f"{method} {host_kind} {path}: answered {response.status_code}, not 404")
            elif cross and response.status_code not in refusals:
                failures.append(f"{method} {host_kind} {path}: answered {response.status_code}, not 404")
    return failures


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("assets."):
            continue
        yield rule


def test_every_route_refuses_another_citys_ids(app, cities):
    a_slug, b_slug, b_rows = cities
    platform = host_client(app, "localhost")
    _login(platform, "admin@alpha.test")
    app.config["WTF_CSRF_ENABLED"] = False  # reach the views themselves
    try:
        city_host = host_client(app, f"{a_slug}.localhost")
        failures = []
        for rule in _rules(app):
            cross = {arg for arg in rule.arguments if arg.lower() not in NEUTRAL_ARGS}
            choices = [[(arg, v) for v in _candidates(arg, b_rows, b_slug)] for arg in sorted(rule.arguments)]
            for combo in itertools.product(*choices):
                try:
                    path = rule.build(dict(combo), append_unknown=False)[1]
                except Exception as exc:
                    failures.append(f"{rule.rule}: could not build a URL from city B's values ({exc})")
                    continue
                echoed = [value for _, value in combo]
                failures += _try(rule, path, cross, echoed, a_slug, ((platform, "platform"), (city_host, "city")))
        assert not failures, "\n".join(failures)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_the_sweep_sees_every_rule(app):
    """Guard against the sweep silently skipping: it visits every non-static rule."""
    names = {rule.endpoint for rule in _rules(app)}
    assert "accounts.login" in names
