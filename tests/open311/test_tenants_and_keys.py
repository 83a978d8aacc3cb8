"""Which city a call is about: the platform host with jurisdiction_id, a city's host, keys across cities,
rate limits, and anonymity."""

from __future__ import annotations

import pytest

from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from civic311.tenants.models import TenantDomain
from tests.open311.conftest import errors_of, new_request, parse

FORMATS = ("xml", "json")
EVERY_RESOURCE = [
    ("GET", "/open311/v2/discovery"), ("GET", "/open311/discovery"), ("GET", "/open311/v2/services"),
    ("GET", "/open311/v2/services/pothole"), ("GET", "/open311/v2/requests"), ("POST", "/open311/v2/requests"),
    ("GET", "/open311/v2/requests/ALP-26-000001"), ("GET", "/open311/v2/tokens/abc"),
    ("GET", "/open311/v2/servicerequestupdates"), ("POST", "/open311/v2/servicerequestupdates"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("method", "path"), EVERY_RESOURCE)
def test_platform_host_requires_a_known_jurisdiction_on_every_method(platform, cities, fmt, method, path):
    missing = platform.open(f"{path}.{fmt}", method=method, data={"api_key": cities["alpha"].key})
    assert missing.status_code == 400 and errors_of(missing, fmt)[0][0] == 400
    unknown = platform.open(f"{path}.{fmt}?jurisdiction_id=atlantis", method=method,
                            data={"api_key": cities["alpha"].key})
    assert unknown.status_code == 404 and errors_of(unknown, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_platform_host_serves_a_city_by_slug_or_domain(platform, cities, fmt):
    with tenant_context(cities["alpha"].tenant.id):
        db.session.add(TenantDomain(tenant_id=cities["alpha"].tenant.id, hostname="311.alphaville.gov",
                                    verification_token="t", verified_at=utcnow()))
        db.session.commit()
    for jurisdiction in ("alpha", "311.alphaville.gov"):
        response = platform.get(f"/open311/v2/services.{fmt}?jurisdiction_id={jurisdiction}")
        assert response.status_code == 200
    created = platform.post(f"/open311/v2/requests.{fmt}", data={
        "jurisdiction_id": "alpha", "api_key": cities["alpha"].key, "service_code": "light"})
    assert created.status_code == 200, created.data
    found = platform.get(f"/open311/v2/requests.{fmt}?jurisdiction_id=alpha")
    assert found.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_citys_jurisdiction_on_a_city_host_is_refused(alpha, fmt):
    response = alpha.get(f"/open311/v2/services.{fmt}?jurisdiction_id=bravo")
    assert response.status_code == 400 and errors_of(response, fmt)[0][0] == 400
    assert alpha.get(f"/open311/v2/services.{fmt}?jurisdiction_id=alpha").status_code == 200
    assert alpha.get(f"/open311/v2/services.{fmt}?jurisdiction_id=").status_code == 200  # empty = absent


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_of_city_a_cannot_create_in_city_b(alpha, bravo, cities, fmt):
    response = bravo.post(f"/open311/v2/requests.{fmt}", data={
        "api_key": cities["alpha"].key, "service_code": "light"})
    assert response.status_code == 403 and errors_of(response, fmt)[0][0] == 403
    platform_b = bravo.post(f"/open311/v2/requests.{fmt}?jurisdiction_id=bravo", data={
        "api_key": cities["alpha"].key, "service_code": "light"})
    assert platform_b.status_code == 403


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_of_city_a_on_the_platform_host_cannot_create_in_city_b(platform, bravo, cities, fmt):
    before = len(parse(bravo.get(f"/open311/v2/requests.{fmt}"), fmt))
    response = platform.post(f"/open311/v2/requests.{fmt}?jurisdiction_id=bravo", data={
        "api_key": cities["alpha"].key, "service_code": "light", "description": "Alpha's key, Bravo's city"})
    assert response.status_code == 403 and errors_of(response, fmt)[0][0] == 403
    assert len(parse(bravo.get(f"/open311/v2/requests.{fmt}"), fmt)) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_citys_jurisdiction_on_a_city_host_refuses_a_create(alpha, cities, fmt):
    before = len(parse(alpha.get(f"/open311/v2/requests.{fmt}"), fmt))
    response = alpha.post(f"/open311/v2/requests.{fmt}?jurisdiction_id=bravo", data={
        "api_key": cities["alpha"].key, "service_code": "light"})
    assert response.status_code == 400 and errors_of(response, fmt)[0][0] == 400
    assert len(parse(alpha.get(f"/open311/v2/requests.{fmt}"), fmt)) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_of_one_city_never_show_in_another(alpha, bravo, cities, fmt):
    number = new_request(alpha, cities["alpha"].key)
    assert len(parse(alpha.get(f"/open311/v2/requests.{fmt}"), fmt)) >= 1
    missing = bravo.get(f"/open311/v2/requests/{number}.{fmt}")
    assert missing.status_code == 404 and errors_of(missing, fmt)[0][0] == 404
    assert len(parse(bravo.get(f"/open311/v2/requests.{fmt}"), fmt)) == 0
    text = bravo.get(f"/open311/v2/services.{fmt}").get_data(as_text=True)
    assert "ALPHA" not in text and number not in text


def test_a_revoked_key_is_refused(alpha, cities):
    from sqlalchemy import select

    from civic311.tenants.apikeys import revoke_key
    from civic311.tenants.catalog import ApiKey

    with tenant_context(cities["alpha"].tenant.id):
        revoke_key(db.session.scalar(select(ApiKey)))
        db.session.commit()
    response = alpha.post("/open311/v2/requests.json", data={"api_key": cities["alpha"].key, "service_code": "light"})
    assert response.status_code == 403


def test_use_of_a_key_is_recorded(alpha, cities):
    from sqlalchemy import select

    from civic311.tenants.catalog import ApiKey

    new_request(alpha, cities["alpha"].key)
    with tenant_context(cities["alpha"].tenant.id):
        assert db.session.scalar(select(ApiKey)).last_used_at is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_rate_limit_answers_429_with_retry_after(alpha, cities, fmt):
    from sqlalchemy import select

    from civic311.tenants.catalog import ApiKey

    with tenant_context(cities["alpha"].tenant.id):
        db.session.scalar(select(ApiKey)).rate_limit_per_minute = 3
        db.session.commit()
    responses = [alpha.post(f"/open311/v2/requests.{fmt}", data={"api_key": cities["alpha"].key,
                                                                  "service_code": "light"}) for _ in range(5)]
    statuses = [r.status_code for r in responses]
    # A minute boundary may fall inside the loop (one reset at most), so at least one 429 out of five.
    assert statuses.count(200) >= 3 and 429 in statuses
    limited = next(r for r in responses if r.status_code == 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert errors_of(limited, fmt)[0][0] == 429


def test_reporter_contact_details_never_appear(alpha, cities):
    number = new_request(alpha, cities["alpha"].key, email="private.person@example.com", first_name="Priya",
                         last_name="Secretname", phone="+1 217 555 0199", device_id="dev-xyz",
                         account_id="acct-secret")
    bodies = [alpha.get(path).get_data(as_text=True) for path in (
        "/open311/v2/requests.json?extensions=true", "/open311/v2/requests.xml?extensions=true",
        f"/open311/v2/requests/{number}.json?extensions=true", f"/open311/v2/requests/{number}.xml",
        "/open311/v2/servicerequestupdates.json", "/open311/v2/servicerequestupdates.xml")]
    for body in bodies:
        for secret in ("private.person", "Priya", "Secretname", "555 0199", "dev-xyz", "acct-secret"):
            assert secret not in body


def test_parse_helper_rejects_namespaces(alpha):
    root = parse(alpha.get("/open311/v2/services.xml"), "xml")
    assert all("}" not in el.tag for el in root.iter())


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_apikeys_create_issues_a_working_key(app, alpha, cities, fmt):
    result = app.test_cli_runner().invoke(args=["apikeys", "create", "--tenant", "alpha", "--name", "CLI script"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    response = alpha.post(f"/open311/v2/requests.{fmt}", data={"api_key": raw, "service_code": "light"})
    assert response.status_code == 200, response.data
    unknown = app.test_cli_runner().invoke(args=["apikeys", "create", "--tenant", "nowhere"])
    assert unknown.exit_code != 0 and "no city" in unknown.output
