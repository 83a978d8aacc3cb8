"""Typed addresses get a point: from the city's own earlier requests (no network), or from an HTTP
geocoder speaking Nominatim's API (a local stand-in server here, never the internet). A geocoder that is
down or unset never loses a report: it files with the address only."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.platform import geocoding
from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant
from tests.portal.conftest import post_form

OAK = (39.7901, -89.6440)


class StandInGeocoder:
    """A Nominatim look-alike on a local port: answers /search with `self.answer`, records each query."""

    def __init__(self):
        self.answer: list[dict] = []
        self.queries: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                url = urlparse(self.path)
                stand_in.queries.append({"path": url.path, **{k: v[0] for k, v in parse_qs(url.query).items()},
                                         "user_agent": self.headers.get("User-Agent", "")})
                body = json.dumps(stand_in.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in(app, monkeypatch):
    server = StandInGeocoder()
    monkeypatch.setitem(app.config, "GEOCODER_URL", server.url)
    yield server
    server.close()


@pytest.fixture
def no_geocoder(app, monkeypatch):
    monkeypatch.setitem(app.config, "GEOCODER_URL", "")


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more: connection refused


def _file(tenant, address, point=None, code="pothole", email="first@example.com") -> ServiceRequest:
    lat, lng = point or (None, None)
    with tenant_context(tenant.id):
        req = file_request(IntakeSubmission(
            service_code=code, channel="portal", answers={"size": "small"} if code == "pothole" else {},
            location=Location(lat=lat, lng=lng, address=address), contact=Contact(email=email))).request
        db.session.commit()
        db.session.refresh(req)
        db.session.expunge(req)
        return req


def _report(portal, address, code="pothole", **location):
    post_form(portal, "/report", {"category": code})
    post_form(portal, "/report/details", {"q_size": "small"} if code == "pothole" else {})
    post_form(portal, "/report/location", {"address": address, **location})
    post_form(portal, "/report/contact", {"email": "second@example.com"})


def _newest(tenant) -> ServiceRequest:
    with tenant_context(tenant.id):
        req = db.session.scalar(select(ServiceRequest).order_by(ServiceRequest.sequence.desc()))
        db.session.expunge(req)
        return req


def test_addresses_are_compared_in_one_spelling():
    same = {geocoding.normalise_address(a) for a in (
        "1200 Oak St", "1200 OAK STREET", "1200 Oak Street, Springfield, IL 62701", "1200 oak st. apt 4",
        "  1200   Oak  Str ")}
    assert same == {"1200 oak st"}
    assert geocoding.normalise_address("Main & Fifth") == geocoding.normalise_address("main and 5th")
    assert geocoding.normalise_address("1200 N Oak Ave") == geocoding.normalise_address("1200 North Oak Avenue")
    assert geocoding.normalise_address("1200 Oak Ave") != geocoding.normalise_address("1200 Oak St")
    assert geocoding.normalise_address("1201 Oak St") != geocoding.normalise_address("1200 Oak St")
    assert geocoding.normalise_address(" , ") == ""


def test_the_city_gazetteer_uses_its_own_earlier_requests_only(ctx, city, no_geocoder):
    _file(city, "1200 OAK STREET", OAK)
    _file(city, "1200 Oak St", (OAK[0] + 0.0002, OAK[1]), email="b@example.com")
    _file(city, "1200 Oak Street", (OAK[0] + 0.0004, OAK[1]), email="c@example.com")
    _file(city, "9 Unpinned Road")  # an address alone teaches the gazetteer nothing
    shelbyville = db.session.scalar(select(Tenant).where(Tenant.slug == "shelbyville"))
    _file(shelbyville, "77 Elm Street", (39.70, -89.70))
    with tenant_context(city.id):
        place = geocoding.geocode("1200 oak st.", city)
        assert place == geocoding.Place(lat=OAK[0] + 0.0002, lng=OAK[1], source="gazetteer")  # the median
        assert geocoding.geocode("77 Elm St", city) is None  # another city's data is not this city's map
        assert geocoding.geocode("9 Unpinned Rd", city) is None
        assert geocoding.geocode("", city) is None
    with tenant_context(shelbyville.id):
        assert geocoding.geocode("77 elm st", shelbyville).lat == 39.70


def test_the_http_geocoder_is_asked_when_the_city_does_not_know_the_address(ctx, city, stand_in):
    stand_in.answer = [{"lat": "39.7990", "lon": "-89.6400", "display_name": "400 Birch Lane, Springfield"}]
    with tenant_context(city.id):
        place = geocoding.geocode("400 Birch Lane", city)
    assert place == geocoding.Place(lat=39.799, lng=-89.64, source="geocoder")
    [query] = stand_in.queries
    assert query["path"] == "/search" and query["q"] == "400 Birch Lane" and query["format"] == "jsonv2"
    assert query["user_agent"].startswith("civic311")
    assert "viewbox" in query  # biased to the city's surroundings
    with tenant_context(city.id):
        geocoding.geocode("400 BIRCH LN", city)
    assert len(stand_in.queries) == 1, "the same address (normalised) is not asked twice"


def test_an_answer_from_another_part_of_the_world_or_nothing_is_not_a_place(ctx, city, stand_in):
    stand_in.answer = [{"lat": "51.5072", "lon": "-0.1276"}]  # Oak Street, London
    with tenant_context(city.id):
        assert geocoding.geocode("12 Oak Street", city) is None
        stand_in.answer = []
        assert geocoding.geocode("13 Nowhere Street", city) is None


def test_a_geocoder_that_is_down_or_answers_garbage_is_not_a_place(ctx, city, app, monkeypatch):
    monkeypatch.setitem(app.config, "GEOCODER_URL", _closed_port_url())
    with tenant_context(city.id):
        assert geocoding.geocode("500 Pine Street", city) is None


def test_a_typed_address_is_placed_on_the_map_and_duplicates_are_offered(portal, city, no_geocoder):
    first = _file(city, "1200 OAK STREET", OAK)
    with tenant_context(city.id):
        db.session.get(Tenant, city.id).tile_url = "http://tiles.invalid/{z}/{x}/{y}.png"
        db.session.commit()
    _report(portal, "1200 Oak St")
    contact = portal.get("/report/contact").get_data(as_text=True)
    assert f"Follow {first.number} instead" in contact
    review = portal.get("/report/review").get_data(as_text=True)
    assert "(found on the city map from the address)" in review
    assert f"Follow {first.number} instead" in review
    assert 'id="review-map"' in review and f"{OAK[0]}" in review
    post_form(portal, "/report/review", {})
    filed = _newest(city)
    assert (filed.lat, filed.lng, filed.address) == (OAK[0], OAK[1], "1200 Oak St")


def test_a_pin_wins_over_the_address_and_an_edited_address_loses_its_old_point(portal, city, no_geocoder):
    _file(city, "1200 Oak Street", OAK)
    _report(portal, "1200 Oak Street", code="streetlight", lat="39.7000", lng="-89.7000")
    review = portal.get("/report/review").get_data(as_text=True)
    assert "(map position set)" in review and "found on the city map" not in review
    post_form(portal, "/report/review", {})
    assert (_newest(city).lat, _newest(city).lng) == (39.7, -89.7)

    _report(portal, "1200 Oak Street", code="streetlight")
    assert "found on the city map" in portal.get("/report/review").get_data(as_text=True)
    post_form(portal, "/report/location", {"address": "Behind the old mill"})
    post_form(portal, "/report/review", {})
    filed = _newest(city)
    assert filed.address == "Behind the old mill" and filed.lat is None and filed.lng is None


def test_the_portal_asks_the_http_geocoder(portal, city, stand_in):
    stand_in.answer = [{"lat": "39.7990", "lon": "-89.6400"}]
    _report(portal, "400 Birch Lane", code="streetlight")
    post_form(portal, "/report/review", {})
    filed = _newest(city)
    assert (filed.lat, filed.lng) == (39.799, -89.64)


def test_a_report_is_never_lost_when_the_geocoder_is_down(portal, city, app, monkeypatch):
    monkeypatch.setitem(app.config, "GEOCODER_URL", _closed_port_url())
    _report(portal, "500 Pine Street", code="streetlight")
    review = portal.get("/report/review")
    assert review.status_code == 200 and "500 Pine Street" in review.get_data(as_text=True)
    done = post_form(portal, "/report/review", {})
    assert done.status_code == 302 and done.headers["Location"].endswith("/report/done")
    filed = _newest(city)
    assert filed.address == "500 Pine Street" and filed.lat is None
