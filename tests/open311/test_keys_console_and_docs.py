"""City admins manage keys in the console; each city's portal has a developer page."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from civic311.accounts.service import create_user, grant_membership
from civic311.audit import AuditEvent
from civic311.db import db
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import ApiKey
from tests.conftest import csrf_token_from
from tests.open311.conftest import api_client


def _signed_in(app, cities, role: str, email: str):
    with tenant_context(cities["alpha"].tenant.id):
        user = create_user(email, "Ada Admin", "correct horse battery")
        grant_membership(user, role)
        db.session.commit()
    client = api_client(app, "localhost")
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": "correct horse battery",
                                           "csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    return client


def test_admin_issues_sees_and_revokes_a_key(app, cities, alpha):
    console = _signed_in(app, cities, "admin", "ada@alphaville.gov")
    page = console.get("/t/alpha/settings/api-keys/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ALPHA test key" in html and "http://alpha.localhost/open311/v2" in html
    missing = console.post("/t/alpha/settings/api-keys/", data={"name": "", "rate_limit": "60",
                                                                "csrf_token": csrf_token_from(html)})
    assert missing.status_code == 400 and 'aria-invalid="true"' in missing.get_data(as_text=True)
    issued = console.post("/t/alpha/settings/api-keys/", data={"name": "Fix-it app", "rate_limit": "30",
                                                               "csrf_token": csrf_token_from(html)})
    assert issued.status_code == 200
    raw = re.search(r'data-testid="raw-key">([^<]+)<', issued.get_data(as_text=True)).group(1)
    assert raw.startswith("c311_")
    # shown once: the list afterwards shows only the prefix
    listing = console.get("/t/alpha/settings/api-keys/").get_data(as_text=True)
    assert raw not in listing and raw[:12] in listing and "Never" in listing
    created = alpha.post("/open311/v2/requests.json", data={"api_key": raw, "service_code": "light"})
    assert created.status_code == 200
    listing = console.get("/t/alpha/settings/api-keys/").get_data(as_text=True)
    assert "UTC</time>" in listing
    with tenant_context(cities["alpha"].tenant.id):
        key = db.session.scalar(select(ApiKey).where(ApiKey.name == "Fix-it app"))
        key_id = key.id
        assert key.rate_limit_per_minute == 30 and key.key_hash != raw
    revoked = console.post(f"/t/alpha/settings/api-keys/{key_id}/revoke",
                           data={"csrf_token": csrf_token_from(listing)})
    assert revoked.status_code == 302, revoked.get_data(as_text=True)[-1500:]
    assert alpha.post("/open311/v2/requests.json", data={"api_key": raw, "service_code": "light"}).status_code == 403
    with tenant_context(cities["alpha"].tenant.id):
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"api_key.issued", "api_key.revoked"} <= actions


def test_staff_cannot_manage_keys(app, cities):
    staff = _signed_in(app, cities, "staff", "sam@alphaville.gov")
    assert staff.get("/t/alpha/settings/api-keys/").status_code == 403


def test_another_citys_keys_are_404(app, cities):
    admin = _signed_in(app, cities, "admin", "ada@alphaville.gov")
    with tenant_context(cities["bravo"].tenant.id):
        bravo_key = db.session.scalar(select(ApiKey)).id
    html = admin.get("/t/alpha/settings/api-keys/").get_data(as_text=True)
    response = admin.post(f"/t/alpha/settings/api-keys/{bravo_key}/revoke", data={"csrf_token": csrf_token_from(html)})
    assert response.status_code == 404
    assert admin.get("/t/bravo/settings/api-keys/").status_code == 404


def test_developer_page_on_the_city_portal(alpha):
    page = alpha.get("/developers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://alpha.localhost/open311/v2/openapi.json" in html
    assert "curl -X POST &#39;http://alpha.localhost/open311/v2/requests.json&#39;" in html or \
        "curl -X POST 'http://alpha.localhost/open311/v2/requests.json'" in html
    assert "service_code=pothole" in html and "attribute[size]=small" in html


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_multipart_photos_are_accepted(alpha, cities, fmt):
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\xa5\xf6E@\x00\x00\x00\x00IEND"
           b"\xaeB`\x82")
    response = alpha.post(f"/open311/v2/requests.{fmt}", content_type="multipart/form-data", data={
        "api_key": cities["alpha"].key, "service_code": "light",
        "media": (io.BytesIO(png), "hole.png", "image/png"), "photo1": (io.BytesIO(png), "b.png", "image/png")})
    assert response.status_code == 200, response.data
    if fmt == "xml":
        number = ET.fromstring(response.data).find("request").findtext("service_request_id")
    else:
        number = json.loads(response.data)[0]["service_request_id"]
    plain_one = alpha.get("/open311/v2/requests.json")  # another request without photos, on the same page
    assert plain_one.status_code == 200
    alpha.post("/open311/v2/requests.json", data={"api_key": cities["alpha"].key, "service_code": "light"})
    got = json.loads(alpha.get(f"/open311/v2/requests/{number}.json?extensions=true").data)[0]
    assert len(got["extended_attributes"]["photos"]) == 2
    assert got["media_url"] == got["extended_attributes"]["photos"][0]
    listed = alpha.get(f"/open311/v2/requests.{fmt}?limit=1&offset=1")  # photo looked up after paging
    if fmt == "xml":
        media = [el.findtext("media_url") for el in ET.fromstring(listed.data).findall("request")]
    else:
        media = [r["media_url"] for r in json.loads(listed.data)]
    assert len(media) == 1 and media[0].split("?")[0] == got["media_url"].split("?")[0]
    newest = json.loads(alpha.get("/open311/v2/requests.json?limit=1").data)[0]
    assert newest["media_url"] in (None, "")


def test_too_large_upload_is_an_error_body(app, alpha, cities):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = alpha.post("/open311/v2/requests.xml", content_type="multipart/form-data", data={
        "api_key": cities["alpha"].key, "service_code": "light",
        "media": (io.BytesIO(b"0" * (limit + 10)), "big.jpg", "image/jpeg")})
    assert response.status_code == 413
    assert b"<errors><error><code>413</code>" in response.data
