"""Paging, bbox, q, updated_*, extensions=true, mySociety's servicerequestupdates, and the round trip."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from tests.open311.conftest import errors_of, new_request, parse

FORMATS = ("xml", "json")


def ids(client, path: str) -> list[str]:
    """The ids a search returns, in the path's own format (.xml or .json)."""
    response = client.get(path)
    assert response.status_code == 200, response.data
    if ".json" in path:
        return [r["service_request_id"] for r in json.loads(response.data)]
    return [el.findtext("service_request_id") for el in parse(response, "xml").findall("request")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_page_and_limit_offset(alpha, cities, fmt):
    made = [new_request(alpha, cities["alpha"].key) for _ in range(5)]
    newest_first = list(reversed(made))
    assert ids(alpha, f"/open311/v2/requests.{fmt}?page_size=2") == newest_first[:2]
    assert ids(alpha, f"/open311/v2/requests.{fmt}?page=2&page_size=2") == newest_first[2:4]
    assert ids(alpha, f"/open311/v2/requests.{fmt}?page=3&page_size=2") == newest_first[4:]
    assert ids(alpha, f"/open311/v2/requests.{fmt}?limit=3&offset=1") == newest_first[1:4]
    for bad in ("page=0", "page_size=1001", "limit=0", "offset=-1", "page=abc"):
        response = alpha.get(f"/open311/v2/requests.{fmt}?{bad}")
        assert response.status_code == 400, bad
        assert errors_of(response, fmt)[0][0] == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_bbox_q_and_updated_filters(alpha, cities, fmt):
    key = cities["alpha"].key
    inside = new_request(alpha, key, lat="39.78", long="-89.65", description="Sinkhole near the library")
    outside = new_request(alpha, key, lat="40.50", long="-88.00", description="Crack on the bridge")
    assert ids(alpha, f"/open311/v2/requests.{fmt}?bbox=-89.70,39.75,-89.60,39.80") == [inside]
    assert ids(alpha, f"/open311/v2/requests.{fmt}?q=bridge") == [outside]
    assert ids(alpha, f"/open311/v2/requests.{fmt}?q=100%25") == []  # a wildcard is text, not a pattern
    assert set(ids(alpha, f"/open311/v2/requests.{fmt}?updated_after=2020-01-01T00:00:00Z")) == {inside, outside}
    assert ids(alpha, f"/open311/v2/requests.{fmt}?updated_before=2020-01-01T00:00:00Z") == []
    for bad in ("bbox=1,2,3", "bbox=a,b,c,d", "bbox=10,10,0,0", "updated_after=soon"):
        assert alpha.get(f"/open311/v2/requests.{fmt}?{bad}").status_code == 400, bad


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_attributes_notes_and_detailed_status(alpha, cities, fmt):
    number = new_request(alpha, cities["alpha"].key, media_url="https://img.example/p.jpg")
    posted = alpha.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": cities["alpha"].key, "service_request_id": number, "update_id": "bo-1",
        "status": "FIXED", "description": "Patched with cold mix", "updated_datetime": "2026-11-20T10:00:00-06:00"})
    assert posted.status_code == 200, posted.data
    plain = alpha.get(f"/open311/v2/requests/{number}.{fmt}")
    body = parse(plain, fmt)
    if fmt == "json":
        assert "notes" not in body[0] and "extended_attributes" not in body[0]
        assert body[0]["status"] == "closed" and body[0]["status_notes"] == "Patched with cold mix"
    response = alpha.get(f"/open311/v2/requests/{number}.{fmt}?extensions=true")
    body = parse(response, fmt)
    if fmt == "json":
        req = body[0]
        ext, notes, detailed = req["extended_attributes"], req["notes"], req["detailed_status"]
        assert ext["channel"] == "api" and ext["photos"] == ["https://img.example/p.jpg"]
        assert ext["duplicate"] is None and "zone" in ext and "parent_service_request_id" in ext
        types = [n["type"] for n in notes]
        assert notes[-1]["description"] == "Patched with cold mix"
        assert all(n["datetime"][-6] in "+-" or n["datetime"].endswith("Z") for n in notes)
    else:
        req = body.find("request")
        ext = req.find("extended_attributes")
        assert ext.findtext("channel") == "api"
        assert [p.text for p in ext.find("photos").findall("photo")] == ["https://img.example/p.jpg"]
        types = [n.findtext("type") for n in req.find("notes").findall("note")]
        detailed = req.findtext("detailed_status")
    assert types == ["submitted", "closed"]
    assert detailed == "FIXED"


@pytest.mark.parametrize("fmt", FORMATS)
def test_servicerequestupdates_post_is_idempotent_and_listed(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    data = {"api_key": key, "service_request_id": number, "update_id": "ext-77", "status": "IN_PROGRESS",
            "description": "Crew assigned", "updated_datetime": "2026-11-20T10:00:00Z"}
    first = alpha.post(f"/open311/v2/servicerequestupdates.{fmt}", data=data)
    assert first.status_code == 200, first.data
    again = alpha.post(f"/open311/v2/servicerequestupdates.{fmt}", data=data)
    assert again.status_code == 200
    if fmt == "json":
        assert json.loads(first.data)[0]["update_id"] == json.loads(again.data)[0]["update_id"]
    else:
        assert ET.fromstring(first.data).tag == "service_request_updates"
        assert ET.fromstring(first.data).find("request_update").findtext("update_id") == \
            ET.fromstring(again.data).find("request_update").findtext("update_id")
    from sqlalchemy import func, select

    from civic311.platform.models import RequestEvent, ServiceRequest

    with tenant_context(cities["alpha"].tenant.id):
        req = db.session.scalar(select(ServiceRequest))
        assert req.status == "in_progress" and req.detailed_status == "in_progress"
        assert db.session.scalar(select(func.count()).select_from(RequestEvent)
                                 .where(RequestEvent.external_update_id == "ext-77")) == 1
    listed = alpha.get(f"/open311/v2/servicerequestupdates.{fmt}?start_date=2020-01-01T00:00:00Z")
    assert listed.status_code == 200
    body = parse(listed, fmt)
    if fmt == "json":
        updates = body
    else:
        assert body.tag == "service_request_updates"
        updates = [{c.tag: c.text for c in el} for el in body.findall("request_update")]
    statuses = [(u["service_request_id"], u["status"], u["description"]) for u in updates]
    assert (number, "in_progress", "Crew assigned") in statuses
    assert all(isinstance(u["update_id"], str) and u["updated_datetime"] for u in updates)


def test_servicerequestupdates_statuses_and_errors(alpha, cities):
    key = cities["alpha"].key
    number = new_request(alpha, key)

    def post(**data):
        return alpha.post("/open311/v2/servicerequestupdates.json",
                          data={"api_key": key, "service_request_id": number, "description": "x", **data})

    assert post(update_id="a", status="INVESTIGATING").status_code == 200
    assert post(update_id="b", status="ACTION_SCHEDULED").status_code == 200
    assert post(update_id="c", status="NOT_COUNCILS_RESPONSIBILITY").status_code == 200
    assert post(update_id="d", status="FIXED").status_code == 400  # already closed
    assert post(update_id="e", status="REOPEN").status_code == 200
    assert post(update_id="f", status="DUPLICATE").status_code == 200
    assert post(update_id="g", status="SOMETHING").status_code == 400
    assert post(update_id="h", status="FIXED", service_request_id="ALP-26-999999").status_code == 404
    assert post(status="FIXED").status_code == 400  # no update_id
    assert post(update_id="i", status="OPEN", updated_datetime="not a date").status_code == 400
    no_key = alpha.post("/open311/v2/servicerequestupdates.json",
                        data={"service_request_id": number, "update_id": "z", "status": "OPEN"})
    assert no_key.status_code == 403
    got = json.loads(alpha.get(f"/open311/v2/requests/{number}.json?extensions=true").data)[0]
    assert got["status"] == "closed" and got["detailed_status"] == "DUPLICATE"


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_create_search_single(alpha, cities, fmt):
    created = alpha.post(f"/open311/v2/requests.{fmt}", data={
        "api_key": cities["alpha"].key, "service_code": "pothole", "lat": "39.7812", "long": "-89.6489",
        "attribute[size]": "large", "attribute[depth]": "12", "description": "Round trip pothole",
        "address_string": "200 S 5th St"})
    assert created.status_code == 200
    body = parse(created, fmt)
    number = body[0]["service_request_id"] if fmt == "json" else body.find("request").findtext("service_request_id")
    listed = alpha.get(f"/open311/v2/requests.{fmt}?service_code=pothole&status=open")
    one = alpha.get(f"/open311/v2/requests/{number}.{fmt}")
    for response in (listed, one):
        found = parse(response, fmt)
        if fmt == "json":
            req = next(r for r in found if r["service_request_id"] == number)
            assert (req["description"], req["lat"], req["long"], req["address"]) == (
                "Round trip pothole", 39.7812, -89.6489, "200 S 5th St")
        else:
            req = next(r for r in found.findall("request") if r.findtext("service_request_id") == number)
            assert req.findtext("description") == "Round trip pothole"
            assert float(req.findtext("lat")) == 39.7812 and req.findtext("address") == "200 S 5th St"


def _updates(body, fmt: str) -> list[dict]:
    if fmt == "json":
        return body
    return [{c.tag: c.text for c in el} for el in body.findall("request_update")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_pushed_update_keeps_its_past_time_and_media_url(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    with tenant_context(cities["alpha"].tenant.id):  # filed yesterday, so "30 minutes ago" is after it
        db.session.scalar(select(ServiceRequest)).requested_at = datetime.now(UTC) - timedelta(days=1)
        db.session.commit()
    past = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    future = datetime.now(UTC) + timedelta(days=3)
    for update_id, status, when, media in (("t-1", "INVESTIGATING", past, "https://bo.example/p1.jpg"),
                                           ("t-2", "ACTION_SCHEDULED", future, None)):
        data = {"api_key": key, "service_request_id": number, "update_id": update_id, "status": status,
                "description": status.lower(), "updated_datetime": when.isoformat()}
        if media:
            data["media_url"] = media
        assert alpha.post(f"/open311/v2/servicerequestupdates.{fmt}", data=data).status_code == 200
    listed = _updates(parse(alpha.get(f"/open311/v2/servicerequestupdates.{fmt}"), fmt), fmt)
    by_status = {u["status"]: u for u in listed}
    got = datetime.fromisoformat(by_status["investigating"]["updated_datetime"].replace("Z", "+00:00"))
    assert got == past
    assert by_status["investigating"]["media_url"] == "https://bo.example/p1.jpg"
    scheduled = datetime.fromisoformat(by_status["action_scheduled"]["updated_datetime"].replace("Z", "+00:00"))
    assert scheduled <= datetime.now(UTC)  # a future time is not believed
    assert not by_status["action_scheduled"]["media_url"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_reused_update_id_for_another_request_is_refused(alpha, cities, fmt):
    key = cities["alpha"].key
    first, second = new_request(alpha, key), new_request(alpha, key)
    data = {"api_key": key, "update_id": "dup-1", "status": "INVESTIGATING", "description": "Looking"}
    url = f"/open311/v2/servicerequestupdates.{fmt}"
    assert alpha.post(url, data={**data, "service_request_id": first}).status_code == 200
    assert alpha.post(url, data={**data, "service_request_id": first}).status_code == 200  # same: idempotent
    again = alpha.post(url, data={**data, "service_request_id": second})
    assert again.status_code == 400
    assert "update_id already used" in errors_of(again, fmt)[0][1]


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_list_returns_the_newest_first_with_paging(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    statuses = ["INVESTIGATING", "ACTION_SCHEDULED", "INVESTIGATING", "ACTION_SCHEDULED"]
    for i, status in enumerate(statuses):
        assert alpha.post("/open311/v2/servicerequestupdates.json", data={
            "api_key": key, "service_request_id": number, "update_id": f"p-{i}", "status": status,
            "description": f"step {i}"}).status_code == 200
    url = f"/open311/v2/servicerequestupdates.{fmt}"
    page1 = _updates(parse(alpha.get(f"{url}?limit=2"), fmt), fmt)
    page2 = _updates(parse(alpha.get(f"{url}?limit=2&offset=2"), fmt), fmt)
    assert [u["description"] for u in page1] == ["step 3", "step 2"]
    assert [u["description"] for u in page2][:2] == ["step 1", "step 0"]


CLOSING_STATUSES = ("FIXED", "CLOSED", "DUPLICATE", "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION",
                    "INTERNAL_REFERRAL", "CANCELLED")
OPEN_STATUSES = ("OPEN", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "REOPEN", "FOR_TRIAGE")


@pytest.mark.parametrize("fmt", FORMATS)
def test_all_13_update_statuses_are_accepted(alpha, cities, fmt):
    key = cities["alpha"].key
    assert len(CLOSING_STATUSES + OPEN_STATUSES) == 13
    for status in CLOSING_STATUSES + OPEN_STATUSES:
        number = new_request(alpha, key)
        posted = alpha.post(f"/open311/v2/servicerequestupdates.{fmt}", data={
            "api_key": key, "service_request_id": number, "update_id": f"all-{status}", "status": status,
            "description": f"Set to {status.lower()}", "external_status_code": f"BO-{status[:6]}"})
        assert posted.status_code == 200, (status, posted.data)
        got = json.loads(alpha.get(f"/open311/v2/requests/{number}.json?extensions=true").data)[0]
        assert got["status"] == ("closed" if status in CLOSING_STATUSES else "open"), status
    listed = _updates(parse(alpha.get(f"/open311/v2/servicerequestupdates.{fmt}"), fmt), fmt)
    codes = {u["description"]: u.get("external_status_code") for u in listed}
    assert codes["Set to fixed"] == "BO-FIXED" and codes["Set to for_triage"] == "BO-FOR_TR"


@pytest.mark.parametrize("fmt", FORMATS)
def test_after_cursor_walks_every_row_exactly_once(alpha, cities, fmt):
    made = [new_request(alpha, cities["alpha"].key) for _ in range(5)]
    seen, url, pages = [], f"/open311/v2/requests.{fmt}?limit=2", 0
    while url:
        response = alpha.get(url)
        seen += ids(alpha, url)
        link = response.headers.get("Link")
        url = link.split(">")[0].lstrip("<").replace("http://alpha.localhost", "") if link else None
        pages += 1
        assert pages < 10
    assert seen == list(reversed(made)) and len(set(seen)) == 5
    bad = alpha.get(f"/open311/v2/requests.{fmt}?after=not-a-cursor")
    assert bad.status_code == 400 and errors_of(bad, fmt)[0][0] == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_returns_at_most_1000_rows(alpha, cities, fmt):
    from sqlalchemy import insert, select

    from civic311.db import new_id
    from civic311.platform.models import ServiceRequest

    new_request(alpha, cities["alpha"].key)
    with tenant_context(cities["alpha"].tenant.id):
        row = db.session.execute(select(ServiceRequest.__table__)).mappings().one()
        db.session.execute(insert(ServiceRequest.__table__), [
            {**row, "id": new_id(), "number": f"ALP-26-9{i:05d}"} for i in range(1000)])
        db.session.commit()
    assert len(ids(alpha, f"/open311/v2/requests.{fmt}")) == 1000
    assert len(ids(alpha, f"/open311/v2/requests.{fmt}?page=2")) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_note_types_activity_closed_and_opened(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    for i, status in enumerate(("INVESTIGATING", "FIXED", "REOPEN")):
        assert alpha.post("/open311/v2/servicerequestupdates.json", data={
            "api_key": key, "service_request_id": number, "update_id": f"n-{i}", "status": status,
            "description": f"note {i}"}).status_code == 200
    body = parse(alpha.get(f"/open311/v2/requests/{number}.{fmt}?extensions=true"), fmt)
    if fmt == "json":
        types = [n["type"] for n in body[0]["notes"]]
    else:
        types = [n.findtext("type") for n in body.find("request").find("notes").findall("note")]
    assert types == ["submitted", "activity", "closed", "opened"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_servicerequestupdates_get_keeps_to_its_window(alpha, cities, fmt):
    key = cities["alpha"].key
    number = new_request(alpha, key)
    now = datetime.now(UTC).replace(microsecond=0)
    with tenant_context(cities["alpha"].tenant.id):  # filed three weeks ago: both updates come after it
        db.session.scalar(select(ServiceRequest)).requested_at = now - timedelta(days=21)
        db.session.commit()

    def stamp(days_ago: int) -> str:
        return (now - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")

    for update_id, status, days_ago in (("w1", "INVESTIGATING", 10), ("w2", "ACTION_SCHEDULED", 2)):
        posted = alpha.post(f"/open311/v2/servicerequestupdates.{fmt}", data={
            "api_key": key, "service_request_id": number, "update_id": update_id, "status": status,
            "description": f"update {update_id}", "updated_datetime": stamp(days_ago)})
        assert posted.status_code == 200, posted.data

    def listed(start: int, end: int) -> list[str]:
        response = alpha.get(f"/open311/v2/servicerequestupdates.{fmt}?start_date={stamp(start)}"
                             f"&end_date={stamp(end)}")
        assert response.status_code == 200, response.data
        return [u["description"] for u in _updates(parse(response, fmt), fmt)]

    assert listed(20, 1) == ["update w2", "update w1"]  # newest first
    assert listed(20, 5) == ["update w1"]
    assert listed(5, 1) == ["update w2"]
    backwards = alpha.get(f"/open311/v2/servicerequestupdates.{fmt}?start_date={stamp(1)}&end_date={stamp(20)}")
    assert backwards.status_code == 400 and errors_of(backwards, fmt)[0][0] == 400
