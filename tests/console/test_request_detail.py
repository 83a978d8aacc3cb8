"""A request's page shows everything about it as the reporter's privacy allows, and why it was routed
where it was; the queue narrows to one zone."""

from __future__ import annotations

import html

from civic311.accounts.access import city_access
from civic311.actor import Actor, acting_as
from civic311.console import queue
from civic311.db import db
from civic311.platform import intake
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import RoutingRule, Zone
from tests.console.conftest import client_for, file


def _square(name: str, lat: float, lng: float, half: float = 0.01) -> Zone:
    ring = [[lng - half, lat - half], [lng + half, lat - half], [lng + half, lat + half], [lng - half, lat + half],
            [lng - half, lat - half]]
    return Zone(name=name, geometry={"type": "Polygon", "coordinates": [ring]}, min_lng=lng - half,
                min_lat=lat - half, max_lng=lng + half, max_lat=lat + half)


def _page(app, user, number: str) -> str:
    response = client_for(app, user).get(f"/t/alpha/requests/{number}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_queue_filters_by_zone(app, world):
    with tenant_context(world.a.id):
        north, south = _square("Ward 1 North", 39.90, -89.65), _square("Ward 2 South", 39.70, -89.65)
        db.session.add_all([north, south])
        db.session.flush()
        up = file("POTHOLE", lat=39.90, lng=-89.65, address="1 North Rd")
        down = file("POTHOLE", lat=39.70, lng=-89.65, address="2 South Rd")
        nowhere = file("GRAFFITI", address="no pin", lat=None, lng=None)
        assert (up.zone_id, down.zone_id, nowhere.zone_id) == (north.id, south.id, None)
        north_id, south_id = str(north.id), str(south.id)
        db.session.commit()
        access = city_access(world.supervisor, world.a)

        def numbers(**kw) -> set[str]:
            return {r.number for r in queue.page(queue.QueueFilter(**kw), access, world.supervisor.id).rows}

        assert numbers(zone=north_id) == {up.number}
        assert numbers(zone=south_id, category=str(world.cat.pothole.id)) == {down.number}
        assert numbers(zone="not-a-zone") == set()
        assert {up.number, down.number, nowhere.number} <= numbers()
        up_number, down_number = up.number, down.number
    page = client_for(app, world.supervisor).get(f"/t/alpha/queue?zone={north_id}").get_data(as_text=True)
    assert up_number in page and down_number not in page
    assert f'<option value="{north_id}" selected>Ward 1 North</option>' in page  # the filter stays chosen
    assert "Zone: Ward 1 North" in _page(app, world.supervisor, up_number)


def test_an_anonymous_reporter_stays_anonymous_to_staff(app, world):
    with tenant_context(world.a.id):
        # A signed-in resident ticking "report anonymously": the history records them as the actor.
        with acting_as(Actor(label="resident secret.person@example.com")):
            req = intake.file_request(intake.IntakeSubmission(
                service_code="POTHOLE", channel="portal", answers={"size": "small"},
                location=intake.Location(lat=39.78, lng=-89.65, address="9 Quiet Ln"),
                contact=intake.Contact(name="Secret Person", email="secret.person@example.com",
                                       phone="217-555-0999"),
                anonymous=True)).request
        number = req.number
        db.session.commit()
    page = _page(app, world.supervisor, number)
    assert "Reported anonymously: contact details are hidden." in page
    for secret in ("Secret Person", "secret.person@example.com", "217-555-0999", "mailto:", "tel:"):
        assert secret not in page, secret
    assert "The reporter (anonymous)" in page  # who filed it, without saying who
    # Nor does the agent desk's caller history find it by the details the reporter withheld.
    desk = client_for(app, world.clerk).get("/t/alpha/desk/?phone=217-555-0999&email=secret.person@example.com")
    assert number not in desk.get_data(as_text=True)


def test_a_reporter_who_gave_details_is_shown_with_what_they_gave(app, world):
    page = _page(app, world.supervisor, world.pothole.number)  # filed with a name, e-mail and phone
    assert "Pat Resident" in page
    assert '<a href="mailto:pat@example.com">pat@example.com</a>' in page
    assert '<a href="tel:217-555-0100">217-555-0100</a>' in page
    with tenant_context(world.a.id):
        only_a_name = intake.file_request(intake.IntakeSubmission(
            service_code="GRAFFITI", channel="phone", location=intake.Location(address="Park gate"),
            contact=intake.Contact(name="Walk-in Wendy")), ).request
        number = only_a_name.number
        db.session.commit()
    page = _page(app, world.supervisor, number)
    assert "Walk-in Wendy" in page and "mailto:" not in page and "Reported anonymously" not in page
    # Staff of another department never reach the page, so never see the reporter either.
    assert client_for(app, world.roads_staff).get(f"/t/alpha/requests/{number}").status_code == 404


def test_the_routing_explanation_names_the_rule_and_why(app, world):
    with tenant_context(world.a.id):
        ward = _square("Riverside", 39.80, -89.60)
        db.session.add(ward)
        db.session.flush()
        db.session.add(RoutingRule(name="Riverside potholes to Parks", position=1,
                                   conditions={"category_ids": [str(world.cat.pothole.id)], "zone_ids": [str(ward.id)],
                                               "keywords": ["sinkhole"]},
                                   actions={"department_id": str(world.cat.parks.id), "priority": "high"}))
        db.session.flush()
        routed = file("POTHOLE", lat=39.80, lng=-89.60, address="3 River Rd")
        routed.description = ""
        with acting_as(Actor.system("test")):
            by_rule = intake.file_request(intake.IntakeSubmission(
                service_code="POTHOLE", channel="portal", answers={"size": "large"},
                description="A sinkhole opened by the bridge",
                location=intake.Location(lat=39.80, lng=-89.60, address="4 River Rd"))).request
        assert by_rule.department_id == world.cat.parks.id and routed.department_id == world.cat.roads.id
        numbers = by_rule.number, routed.number
        db.session.commit()
    page = _page(app, world.admin, numbers[0])
    assert "Rule applied: Riverside potholes to Parks" in page
    assert 'id="request-map" data-lat="39.8" data-lng="-89.6"' in page  # the pin, on the city's map
    assert "Location is in zone Riverside." in page
    assert ("Rule “Riverside potholes to Parks” matched: category is Pothole; location is in the rule's zone; "
            "description mentions sinkhole.") in page
    assert "Sent to Parks." in page and "Priority: high" in page
    assert 'href="/t/alpha/settings/routing"' in page  # an admin can go and look at the rule
    assert 'href="/t/alpha/settings/routing"' not in _page(app, world.supervisor, numbers[0])
    other = _page(app, world.supervisor, numbers[1])  # same zone, no "sinkhole": the rule did not apply
    assert "No rule applied: the category’s default department." in other
    assert "No routing rule matched: the category's default department." in other and "Sent to Roads." in other
    with tenant_context(world.a.id):  # renamed since: the page names the rule as it is now called
        db.session.query(RoutingRule).one().name = "Riverside holes"
        db.session.commit()
    assert "Rule applied: Riverside holes" in _page(app, world.supervisor, numbers[0])


def test_the_page_shows_photos_the_sla_clock_and_likely_duplicates(app, world):
    import io
    import re
    from urllib.parse import urlsplit

    from PIL import Image

    from tests.conftest import host_client

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, format="JPEG")
    with tenant_context(world.a.id):
        with acting_as(Actor.system("test")):
            again = intake.file_request(intake.IntakeSubmission(
                service_code="POTHOLE", channel="portal", answers={"size": "small"},
                location=intake.Location(lat=39.78, lng=-89.65, address="100 Main St"),  # where the first one is
                photos=[intake.PhotoUpload("hole.jpg", buffer.getvalue(), "image/jpeg")])).request
        number = again.number
        db.session.commit()
    page = _page(app, world.supervisor, number)
    img = re.search(r'<img src="([^"]+)" alt="Photo 1 of the problem"', page)
    assert img, "the photo is on the page"
    url = urlsplit(img.group(1))
    photo = host_client(app, url.netloc or "alpha.localhost").get(url.path + ("?" + url.query if url.query else ""))
    assert photo.status_code == 200 and photo.data[:2] == b"\xff\xd8"  # a JPEG, as filed
    clock = re.search(r'id="sla-title".*?</dl>', page, re.S).group(0)
    assert "Filed" in clock and "At risk from" in clock and "Due" in clock and " left)" in clock
    assert "Roads" in clock and "Unassigned" in clock
    duplicates = re.search(r'id="dups-title".*?</section>', page, re.S).group(0)
    assert world.pothole.number in duplicates  # the earlier report at the same spot
