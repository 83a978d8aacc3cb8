"""Contract checklist lines that had a test in one format only, or none: now in XML and JSON alike."""

from __future__ import annotations

import json
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.open311.serializers import iso
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from tests.open311.conftest import create, errors_of, new_request, parse

FORMATS = ("xml", "json")
TZ_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]


def one_request(response, fmt: str) -> dict:
    """The single `request` of a service_requests answer, as {field: text or element} (XML) or as is."""
    assert response.status_code == 200, response.data
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list) and len(body) == 1
        return body[0]
    assert body.tag == "service_requests" and len(body) == 1
    return {child.tag: (child if len(child) else child.text) for child in body.find("request")}


def close(alpha, key: str, number: str, status: str = "FIXED", description: str = "Patched with cold mix"):
    response = alpha.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": key, "service_request_id": number, "update_id": f"close-{number}", "status": status,
        "description": description})
    assert response.status_code == 200, response.data


@pytest.mark.parametrize("fmt", FORMATS)
def test_xml_and_json_carry_exactly_the_spec_fields_without_extensions(alpha, cities, fmt):
    """No foreign tags: a plain answer is the spec's fields, in the spec's order, and nothing else."""
    number = new_request(alpha, cities["alpha"].key)
    for path in (f"/open311/v2/requests/{number}.{fmt}", f"/open311/v2/requests.{fmt}"):
        assert list(one_request(alpha.get(path), fmt)) == REQUEST_FIELDS


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_notes_carry_the_close_reason_once_closed(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    still_open = one_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    assert still_open["status"] == "open" and still_open["status_notes"] in (None, "")
    close(alpha, key, number)
    closed = one_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    assert closed["status"] == "closed" and closed["status_notes"] == "Patched with cold mix"
    assert "notes" not in closed and "extended_attributes" not in closed and "detailed_status" not in closed


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_notes_name_the_reason_when_no_note_was_written(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    close(alpha, key, number, status="NOT_COUNCILS_RESPONSIBILITY", description="")
    closed = one_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    assert closed["status_notes"] == "Referred to another agency"


@pytest.mark.parametrize("fmt", FORMATS)
def test_expected_datetime_is_the_sla_due_time(alpha, cities, fmt):
    number = new_request(alpha, cities["alpha"].key)
    got = one_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    with tenant_context(cities["alpha"].tenant.id):
        due = db.session.scalar(select(ServiceRequest.due_at).where(ServiceRequest.number == number))
    assert due is not None
    assert got["expected_datetime"] == iso(due, ZoneInfo(cities["alpha"].tenant.timezone))
    assert TZ_ISO.match(got["expected_datetime"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_optional_create_parameters_behave_as_absent(alpha, cities, fmt):
    response = create(alpha, cities["alpha"].key, fmt, service_code="light", email="", phone="", first_name="",
                      media_url="", address_id="", device_id="", account_id="", description="")
    got = one_request(response, fmt)
    assert "account_id" not in got  # only echoed when given
    number = got["service_request_id"]
    listed = one_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}"), fmt)
    assert listed["media_url"] in (None, "") and listed["address_id"] in (None, "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_errors_are_error_bodies_in_both_formats(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    path = f"/open311/v2/servicerequestupdates.{fmt}"
    cases = [
        ({"service_request_id": number, "update_id": "z", "status": "OPEN"}, 403),  # no api_key
        ({"api_key": "c311_wrong", "service_request_id": number, "update_id": "z", "status": "OPEN"}, 403),
        ({"api_key": key, "service_request_id": "ALP-26-999999", "update_id": "y", "status": "FIXED"}, 404),
        ({"api_key": key, "service_request_id": number, "update_id": "x", "status": "SOMETHING"}, 400),
        ({"api_key": key, "service_request_id": number, "status": "FIXED"}, 400),  # no update_id
    ]
    for data, status in cases:
        response = alpha.post(path, data=data)
        assert response.status_code == status, (data, response.data)
        assert errors_of(response, fmt)[0][0] == status


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_list_fields_and_timezones(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    close(alpha, key, number)
    response = alpha.get(f"/open311/v2/servicerequestupdates.{fmt}")
    body = parse(response, fmt)
    if fmt == "json":
        updates = body
    else:
        assert body.tag == "service_request_updates"
        updates = [{c.tag: c.text for c in el} for el in body.findall("request_update")]
    closing = [u for u in updates if u["service_request_id"] == number]
    assert closing and closing[0]["status"] == "fixed" and closing[0]["description"] == "Patched with cold mix"
    fields = {"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"}
    for update in updates:
        assert fields <= set(update)
        assert TZ_ISO.match(update["updated_datetime"]), update["updated_datetime"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_extension_notes_and_attributes_in_both_formats(alpha, cities, fmt):
    key = cities["alpha"].key
    original = new_request(alpha, key)
    number = new_request(alpha, key)
    response = alpha.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": key, "service_request_id": number, "update_id": "dup-1", "status": "DUPLICATE",
        "duplicate_of": original, "description": "Same hole"})
    assert response.status_code == 200, response.data
    got = one_request(alpha.get(f"/open311/v2/requests/{number}.{fmt}?extensions=true"), fmt)
    if fmt == "json":
        ext, notes, detailed = got["extended_attributes"], got["notes"], got["detailed_status"]
    else:
        ext = {c.tag: c.text for c in got["extended_attributes"]}
        notes = [{c.tag: c.text for c in n} for n in got["notes"].findall("note")]
        detailed = got["detailed_status"]
    assert ext["channel"] == "api" and ext["duplicate"] == original
    assert "zone" in ext and "parent_service_request_id" in ext and "photos" in ext
    assert [n["type"] for n in notes] == ["submitted", "closed"]
    assert all(set(n) == {"datetime", "summary", "description", "type"} and TZ_ISO.match(n["datetime"])
               for n in notes)
    assert detailed == "DUPLICATE"


def test_json_types_of_a_search_row(alpha, cities):
    new_request(alpha, cities["alpha"].key)
    row = json.loads(alpha.get("/open311/v2/requests.json").data)[0]
    assert isinstance(row["service_request_id"], str) and isinstance(row["service_code"], str)
    assert isinstance(row["lat"], float) and isinstance(row["long"], float)
    assert row["service_notice"] is None  # optional, present and empty rather than missing
