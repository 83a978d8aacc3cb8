"""The demo step issues a working Springfield key and prints a curl call that works on the real catalog."""

from __future__ import annotations

import json
import re

from civic311.db import db
from civic311.demo.context import DemoContext
from civic311.open311.demo import seed
from civic311.tenancy import tenant_context
from civic311.tenants.starter_catalog import adopt_starter_catalog
from tests.open311.conftest import api_client


def test_demo_key_works(app, two_tenants):
    city = two_tenants[0]
    with tenant_context(city.id):  # the catalog a real demo city has: the starter catalog
        adopt_starter_catalog()
        db.session.commit()
    ctx = DemoContext(app=app, cities={"springfield": city})
    seed(ctx)
    db.session.commit()
    raw = re.search(r"\(shown once\): (\S+)", ctx.summary_lines[0]).group(1)
    curl = ctx.summary_lines[1]
    assert "curl -X POST" in curl and f"api_key={raw}" in curl
    fields = re.findall(r"-d '([^=']+)=([^']*)'", curl)
    assert "service_code" in dict(fields)
    assert any(name.startswith("attribute[") for name, _ in fields)  # the starter services ask questions
    client = api_client(app, f"{city.slug}.localhost")
    response = client.post("/open311/v2/requests.json", data={"api_key": raw, **dict(fields)})
    assert response.status_code == 200, response.data
    assert json.loads(response.data)[0]["service_request_id"]
    page = client.get("/developers").get_data(as_text=True)
    for name, value in fields[:1]:
        assert f"-d '{name}={value}'" in page
