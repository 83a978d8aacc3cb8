"""The contract's checklist, resource by resource, in XML and in JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict

from tests.open311.conftest import create, errors_of, new_request, parse

FORMATS = ("xml", "json")
TZ_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def rows(body, fmt: str, item: str) -> list[dict]:
    """A list resource as dicts of text (XML) or as is (JSON); checks JSON is a bare array."""
    if fmt == "json":
        assert isinstance(body, list)
        return body
    return [{child.tag: (child if len(child) else child.text) for child in el} for el in body.findall(item)]


# --- discovery --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["/open311/v2/discovery", "/open311/discovery"])
def test_discovery(alpha, fmt, path):
    response = alpha.get(f"{path}.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "discovery"
        changeset = body.findtext("changeset")
        endpoints = body.find("endpoints").findall("endpoint")
        endpoint = {c.tag: c for c in endpoints[0]}
        assert endpoint["specification"].text == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["type"].text in ("production", "test")
        assert [f.text for f in endpoint["formats"].findall("format")] == ["text/xml", "application/json"]
        assert endpoint["url"].text.endswith("/open311/v2")
        assert body.findtext("key_service") and body.findtext("contact")
        endpoint_changeset = endpoint["changeset"].text
    else:
        assert isinstance(body, dict)
        changeset = body["changeset"]
        endpoint = body["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["type"] in ("production", "test")
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["url"] == "http://alpha.localhost/open311/v2"
        assert body["key_service"].endswith("/developers")
        assert isinstance(body["contact"], str) and body["contact"]
        endpoint_changeset = endpoint["changeset"]
        assert any(e["name"] == "page" and "base 1" in e["description"] for e in body["extensions"])
    for stamp in (changeset, endpoint_changeset):
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert parsed.tzinfo is not None and parsed < datetime.now(UTC)


# --- services ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list(alpha, fmt):
    response = alpha.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "services"
    services = {s["service_code"]: s for s in rows(body, fmt, "service")}
    assert set(services) == {"pothole", "graffiti", "bulky", "light"}
    pothole = services["pothole"]
    for name in ("service_code", "service_name", "description", "metadata", "type", "keywords", "group"):
        assert name in pothole
    if fmt == "json":
        assert pothole["metadata"] is True and services["bulky"]["metadata"] is False
        assert isinstance(pothole["service_code"], str)
        assert pothole["groups"] == ["Streets"]
    else:
        assert pothole["metadata"] == "true" and services["bulky"]["metadata"] == "false"
        assert [g.text for g in pothole["groups"].findall("group")] == ["Streets"]
    assert pothole["type"] == "realtime" and services["bulky"]["type"] == "batch"
    assert pothole["keywords"] == "road, hole"
    assert pothole["group"] == "Streets"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(alpha, fmt):
    response = alpha.get(f"/open311/v2/services/graffiti.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "service_definition"
        assert body.findtext("service_code") == "graffiti"
        attrs = body.find("attributes").findall("attribute")
        first = attrs[0]
        assert first.findtext("variable") == "true" and first.findtext("required") == "true"
        assert first.findtext("datatype") == "multivaluelist"
        values = [(v.findtext("key"), v.findtext("name")) for v in first.find("values").findall("value")]
        orders = [int(a.findtext("order")) for a in attrs]
        assert attrs[1].findtext("variable") == "false"
        for name in ("code", "datatype_description", "description"):
            assert first.find(name) is not None
    else:
        assert body["service_code"] == "graffiti"
        first = body["attributes"][0]
        assert first["variable"] is True and first["required"] is True
        assert first["datatype"] == "multivaluelist"
        values = [(v["key"], v["name"]) for v in first["values"]]
        orders = [a["order"] for a in body["attributes"]]
        assert body["attributes"][1]["variable"] is False
        assert set(first) >= {"code", "datatype_description", "description", "order"}
    assert values[0] == ("wall", "Wall")
    assert orders == [1, 2]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_404(alpha, fmt):
    response = alpha.get(f"/open311/v2/services/nope.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt)[0][0] == 404


# --- create -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_create_returns_id_and_notice(alpha, cities, fmt):
    response = create(alpha, cities["alpha"].key, fmt, service_code="pothole", lat="39.78", long="-89.65",
                      **{"attribute[size]": "small"}, account_id="acct-7")
    assert response.status_code == 200, response.data
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "service_requests"
        req = body.find("request")
        number, token = req.findtext("service_request_id"), req.find("token")
        assert req.findtext("account_id") == "acct-7"
        assert req.findtext("service_notice")
    else:
        req = body[0]
        number, token = req["service_request_id"], req.get("token")
        assert req["account_id"] == "acct-7" and req["service_notice"]
    assert token is None
    assert re.fullmatch(r"ALP-\d\d-\d{6}", number)


@pytest.mark.parametrize("fmt", FORMATS)
def test_batch_service_returns_a_token_that_resolves(alpha, cities, fmt):
    response = create(alpha, cities["alpha"].key, fmt, service_code="bulky", address_string="12 Elm St")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        token = body.find("request").findtext("token")
        assert body.find("request").find("service_request_id") is None
    else:
        token = body[0]["token"]
        assert "service_request_id" not in body[0]
    resolved = alpha.get(f"/open311/v2/tokens/{token}.{fmt}")
    assert resolved.status_code == 200
    out = parse(resolved, fmt)
    if fmt == "xml":
        assert out.tag == "service_requests"
        assert out.find("request").findtext("token") == token
        assert out.find("request").findtext("service_request_id").startswith("ALP-")
    else:
        assert out[0]["token"] == token and out[0]["service_request_id"].startswith("ALP-")
    missing = alpha.get(f"/open311/v2/tokens/nope.{fmt}")
    assert missing.status_code == 404 and errors_of(missing, fmt)[0][0] == 404


CREATE_ERRORS = [
    ("missing key", {"api_key": ""}, 403),
    ("invalid key", {"api_key": "c311_not-a-key"}, 403),
    ("missing service_code", {"service_code": ""}, 400),
    ("unknown service_code", {"service_code": "unicorns"}, 404),
    ("no location", {"lat": "", "long": ""}, 400),
    ("lat without long", {"long": ""}, 400),
    ("lat not a number", {"lat": "north"}, 400),
    ("missing required attribute", {"attribute[size]": ""}, 400),
    ("value not among values", {"attribute[size]": "huge"}, 400),
    ("description too long", {"description": "x" * 4001}, 400),
    ("html in description", {"description": "<script>alert(1)</script>"}, 400),
    ("bad media_url", {"media_url": "javascript:alert(1)"}, 400),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("case", "change", "status"), CREATE_ERRORS, ids=[c[0] for c in CREATE_ERRORS])
def test_create_errors(alpha, cities, fmt, case, change, status):
    data = {"api_key": cities["alpha"].key, "service_code": "pothole", "lat": "39.78", "long": "-89.65",
            "attribute[size]": "small", **change}
    response = alpha.post(f"/open311/v2/requests.{fmt}", data=data)
    assert response.status_code == status, response.data
    errors = errors_of(response, fmt)
    assert errors and all(code == status for code, _ in errors) and all(text for _, text in errors)


@pytest.mark.parametrize("fmt", FORMATS)
def test_several_errors_come_together(alpha, cities, fmt):
    response = alpha.post(f"/open311/v2/requests.{fmt}", data={
        "api_key": cities["alpha"].key, "service_code": "pothole", "description": "x" * 4001})
    assert response.status_code == 400
    errors = errors_of(response, fmt)
    assert len(errors) == 3  # the required answer, the long description, the missing location
    assert {code for code, _ in errors} == {400}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("encoding", ["brackets", "repeated"])
def test_multivaluelist_in_both_encodings(alpha, cities, fmt, encoding):
    name = "attribute[surface][]" if encoding == "brackets" else "attribute[surface]"
    response = alpha.post(f"/open311/v2/requests.{fmt}", data=MultiDict([
        ("api_key", cities["alpha"].key), ("service_code", "graffiti"), ("address_string", "1 Main St"),
        (name, "wall"), (name, "bench")]))
    assert response.status_code == 200, response.data
    from sqlalchemy import select

    from civic311.db import db
    from civic311.platform.models import ServiceRequest
    from civic311.tenancy import tenant_context

    with tenant_context(cities["alpha"].tenant.id):
        req = db.session.scalar(select(ServiceRequest))
        assert req.answers[0]["value"] == ["wall", "bench"]
        assert req.channel == "api"


def first_request(response, fmt: str) -> dict:
    """The first `request` of a service_requests body, as a dict in either format."""
    assert response.status_code == 200, response.data
    return rows(parse(response, fmt), fmt, "request")[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_parameters_in_the_query_string_work_too(alpha, cities, fmt):
    response = alpha.post(f"/open311/v2/requests.{fmt}?api_key=" + cities["alpha"].key
                          + "&service_code=pothole&lat=39.78&long=-89.65&attribute[size]=small")
    assert first_request(response, fmt)["service_request_id"].startswith("ALP-")


@pytest.mark.parametrize("fmt", FORMATS)
def test_key_alias_device_id_and_media_urls(alpha, cities, fmt):
    response = alpha.post(f"/open311/v2/requests.{fmt}", data=MultiDict([
        ("key", cities["alpha"].key), ("service_code", "light"), ("deviceid", "phone-42"),
        ("media_url", "https://img.example/a.jpg"), ("media_url", "https://img.example/b.jpg")]))
    number = first_request(response, fmt)["service_request_id"]
    got = first_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}?extensions=true"), fmt)
    assert got["media_url"] == "https://img.example/a.jpg"
    photos = got["extended_attributes"]["photos"] if fmt == "json" else \
        [p.text for p in got["extended_attributes"].find("photos").findall("photo")]
    assert photos == ["https://img.example/a.jpg", "https://img.example/b.jpg"]
    from sqlalchemy import select

    from civic311.db import db
    from civic311.platform.models import ServiceRequest
    from civic311.tenancy import tenant_context

    with tenant_context(cities["alpha"].tenant.id):
        assert db.session.scalar(select(ServiceRequest.device_id).where(ServiceRequest.number == number)) == "phone-42"


@pytest.mark.parametrize("fmt", FORMATS)
def test_address_id_alone_is_a_location(alpha, cities, fmt):
    response = create(alpha, cities["alpha"].key, fmt, service_code="pothole", address_id="PARCEL-1042",
                      **{"attribute[size]": "small"})
    number = first_request(response, fmt)["service_request_id"]
    got = first_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    assert got["address_id"] == "PARCEL-1042"


@pytest.mark.parametrize("fmt", FORMATS)
def test_updated_datetime_is_the_close_time(alpha, cities, fmt):
    number = new_request(alpha, cities["alpha"].key)
    assert alpha.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": cities["alpha"].key, "service_request_id": number, "update_id": "close-1", "status": "FIXED",
        "description": "Filled"}).status_code == 200
    from sqlalchemy import select

    from civic311.db import db
    from civic311.open311.serializers import iso
    from civic311.platform.models import ServiceRequest
    from civic311.tenancy import tenant_context

    got = first_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    with tenant_context(cities["alpha"].tenant.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        assert req.closed_at is not None
        from zoneinfo import ZoneInfo

        assert got["updated_datetime"] == iso(req.closed_at, ZoneInfo(cities["alpha"].tenant.timezone))
    assert got["status"] == "closed"


# --- search and one request ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_search_fields_and_types(alpha, cities, fmt):
    number = new_request(alpha, cities["alpha"].key, address_string="5 Oak Ave", zipcode="62701")
    response = alpha.get(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "xml":
        assert body.tag == "service_requests"
    found = rows(body, fmt, "request")
    assert len(found) == 1
    req = found[0]
    expected = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
    assert list(req)[: len(expected)] == expected
    assert req["service_request_id"] == number and req["status"] == "open"
    assert req["agency_responsible"] == "Public Works ALPHA"
    assert req["address"] == "5 Oak Ave" and req["zipcode"] == "62701"
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert TZ_ISO.match(req[name]), req[name]
    assert req["requested_datetime"].endswith(("-06:00", "-05:00"))  # America/Chicago
    if fmt == "json":
        assert isinstance(req["lat"], float) and isinstance(req["long"], float)
        assert isinstance(req["service_request_id"], str)
    else:
        assert float(req["lat"]) == 39.78


@pytest.mark.parametrize("fmt", FORMATS)
def test_single_request_is_a_list_of_one(alpha, cities, fmt):
    number = new_request(alpha, cities["alpha"].key)
    for path in (f"/open311/v2/requests/{number}.{fmt}", f"/open311/v2/request/{number}.{fmt}"):
        response = alpha.get(path)
        assert response.status_code == 200
        found = rows(parse(response, fmt), fmt, "request")
        assert [r["service_request_id"] for r in found] == [number]
    missing = alpha.get(f"/open311/v2/requests/ALP-26-999999.{fmt}")
    assert missing.status_code == 404 and errors_of(missing, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_filters(alpha, cities, fmt):
    key = cities["alpha"].key
    first = new_request(alpha, key)
    second = new_request(alpha, key, service_code="light")
    ids = lambda response: [r["service_request_id"] for r in rows(parse(response, fmt), fmt, "request")]  # noqa: E731
    assert set(ids(alpha.get(f"/open311/v2/requests.{fmt}?service_code=light"))) == {second}
    assert set(ids(alpha.get(f"/open311/v2/requests.{fmt}?service_code=light,pothole"))) == {first, second}
    # service_request_id overrides every other filter
    assert set(ids(alpha.get(f"/open311/v2/requests.{fmt}?service_request_id={first}&service_code=light"
                             "&status=closed"))) == {first}
    assert set(ids(alpha.get(f"/open311/v2/requests.{fmt}?service_request_id={first},{second}"))) == {first, second}
    assert ids(alpha.get(f"/open311/v2/requests.{fmt}?status=closed")) == []
    assert len(ids(alpha.get(f"/open311/v2/requests.{fmt}?status=open,closed"))) == 2
    assert ids(alpha.get(f"/open311/v2/requests.{fmt}?start_date=2020-01-01T00:00:00Z"
                         "&end_date=2020-02-01T00:00:00Z")) == []
    assert len(ids(alpha.get(f"/open311/v2/requests.{fmt}?start_date=2020-01-01T00:00:00Z"))) == 2
    # newest first
    assert ids(alpha.get(f"/open311/v2/requests.{fmt}")) == [second, first]
    # an empty optional parameter is the same as an absent one
    assert ids(alpha.get(f"/open311/v2/requests.{fmt}?service_code=&status=&start_date=&page=")) == [second, first]
    bad = alpha.get(f"/open311/v2/requests.{fmt}?status=pending")
    assert bad.status_code == 400 and errors_of(bad, fmt)[0][0] == 400
    bad_date = alpha.get(f"/open311/v2/requests.{fmt}?start_date=yesterday")
    assert bad_date.status_code == 400 and errors_of(bad_date, fmt)[0][0] == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_window_is_90_days(alpha, cities, fmt):
    from datetime import timedelta

    from sqlalchemy import select

    from civic311.db import db
    from civic311.platform.models import ServiceRequest
    from civic311.tenancy import tenant_context

    old = new_request(alpha, cities["alpha"].key)
    recent = new_request(alpha, cities["alpha"].key)
    with tenant_context(cities["alpha"].tenant.id):
        row = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == old))
        row.requested_at = row.requested_at - timedelta(days=91)
        db.session.commit()
    found = [r["service_request_id"] for r in rows(parse(alpha.get(f"/open311/v2/requests.{fmt}"), fmt), fmt,
                                                   "request")]
    assert found == [recent]


# --- errors in general ------------------------------------------------------------------------------

WRONG_METHODS = [("DELETE", "/open311/v2/services", "GET, HEAD"), ("POST", "/open311/v2/services/pothole", "GET, HEAD"),
                 ("PUT", "/open311/v2/requests", "GET, HEAD, POST"), ("PATCH", "/open311/v2/requests/ALP-26-000001",
                                                                      "GET, HEAD"),
                 ("DELETE", "/open311/v2/tokens/abc", "GET, HEAD"), ("POST", "/open311/v2/discovery", "GET, HEAD"),
                 ("PUT", "/open311/v2/servicerequestupdates", "GET, HEAD, POST")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("method", "path", "allow"), WRONG_METHODS, ids=[f"{m} {p}" for m, p, _ in WRONG_METHODS])
def test_a_wrong_method_is_400_with_the_error_body(alpha, cities, fmt, method, path, allow):
    """The contract: 404 when a resource does not exist, 403 for a bad key, 400 for everything else."""
    if "ALP-26-000001" in path:
        path = path.replace("ALP-26-000001", new_request(alpha, cities["alpha"].key))
    if "tokens" in path:
        body = json.loads(create(alpha, cities["alpha"].key, "json", service_code="bulky", address_string="1 Elm").data)
        path = path.replace("abc", body[0]["token"])
    response = alpha.open(f"{path}.{fmt}", method=method, data={"api_key": cities["alpha"].key})
    assert response.status_code == 400, response.data
    errors = errors_of(response, fmt)
    assert errors[0][0] == 400 and method in errors[0][1]
    assert response.headers["Allow"] == allow


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_paths_answer_404_error_bodies(alpha, fmt):
    response = alpha.get(f"/open311/v2/nothing-here.{fmt}")
    assert response.status_code == 404 and errors_of(response, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_method_on_a_resource_that_does_not_exist_is_404(alpha, cities, fmt):
    """404 when a resource does not exist comes first: the method is wrong, but there is nothing there."""
    for method, path in (("POST", "/open311/v2/requests/ALP-26-999999"), ("DELETE", "/open311/v2/services/nope"),
                         ("PUT", "/open311/v2/tokens/nope")):
        response = alpha.open(f"{path}.{fmt}", method=method)
        assert response.status_code == 404 and errors_of(response, fmt)[0][0] == 404


def test_a_wrong_method_on_the_openapi_document_is_400_too(alpha):
    response = alpha.post("/open311/v2/openapi.json")
    assert response.status_code == 400 and errors_of(response, "json")[0][0] == 400
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/open311/v2/services.html", "/open311/v2/requests.csv",
                                  "/open311/v2/services/pothole.yaml"])
def test_unknown_format_is_an_error_body_not_html(alpha, path):
    response = alpha.get(path)
    assert response.status_code == 400
    assert b"<html" not in response.data.lower()
    assert errors_of(response, "xml")[0][0] == 400


def test_a_broken_body_is_400_not_500(alpha, cities):
    response = alpha.post("/open311/v2/requests.json", data=b"\xff\xfe--not a form",
                          content_type="multipart/form-data; boundary=zz")
    assert response.status_code in (400, 403)
    assert json.loads(response.data)[0]["code"] in (400, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_comparisons_in_a_description_are_text_not_html(alpha, cities, fmt):
    ok = create(alpha, cities["alpha"].key, fmt, service_code="pothole", lat="39.78", long="-89.65",
                **{"attribute[size]": "large", "description": "Hole depth a < b and 3>2, <3 the crew"})
    assert ok.status_code == 200, ok.data
    for tag in ("<b>bold</b>", "</p>", "<!-- x -->", "<img src=x>"):
        bad = create(alpha, cities["alpha"].key, fmt, service_code="pothole", lat="39.78", long="-89.65",
                     **{"attribute[size]": "large", "description": f"see {tag}"})
        assert bad.status_code == 400, tag
        assert errors_of(bad, fmt)[0][0] == 400
