"""The report form without JavaScript: every step's validation, errors next to fields with what was
typed kept, and submission through intake."""

from __future__ import annotations

import io

from sqlalchemy import select

from civic311.db import db
from civic311.platform.models import Follower, ServiceRequest
from civic311.portal.models import Deflection
from civic311.tenancy import tenant_context
from tests.portal.conftest import post_form


def _choose(portal, code="pothole"):
    return post_form(portal, "/report", {"category": code})


def _requests(city) -> list[ServiceRequest]:
    with tenant_context(city.id):
        rows = db.session.scalars(select(ServiceRequest)).all()
        db.session.expunge_all()
        return rows


def test_category_step_lists_groups_and_filters_by_keyword(portal):
    page = portal.get("/report").get_data(as_text=True)
    assert "Streets and sidewalks" in page and "Pothole" in page and "Graffiti" in page
    found = portal.get("/report?q=asphalt").get_data(as_text=True)
    assert "Pothole" in found and "Graffiti" not in found
    spanish = portal.get("/report?q=cable+caido").get_data(as_text=True)  # no accent typed
    assert "Downed power line" in spanish and "Pothole" not in spanish
    none = portal.get("/report?q=volcano").get_data(as_text=True)
    assert "Nothing matches" in none


def test_category_is_required(portal):
    response = post_form(portal, "/report", {})
    assert response.status_code == 400
    assert "Choose the kind of problem." in response.get_data(as_text=True)


def test_steps_without_a_category_go_back_to_the_start(portal):
    for url in ("/report/details", "/report/location", "/report/contact", "/report/review"):
        response = portal.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/report")


def test_details_use_intakes_rules_and_keep_what_was_typed(portal):
    assert _choose(portal).headers["Location"].endswith("/report/details")
    page = portal.get("/report/details").get_data(as_text=True)
    assert "How big is it?" in page and "Smaller than a plate" in page and "Which lanes?" in page
    response = post_form(portal, "/report/details", {"q_depth": "deep", "description": "Big hole by the school"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Answer this question: How big is it?" in html
    assert "Enter a number." in html
    assert 'value="deep"' in html and "Big hole by the school" in html
    assert 'aria-describedby="q_depth-error"' in html and 'id="q_depth-error"' in html


def test_description_with_html_is_refused_next_to_the_field(portal):
    _choose(portal)
    response = post_form(portal, "/report/details", {"q_size": "small", "description": "<b>hole</b>"})
    assert response.status_code == 400
    assert "Remove the HTML tags from the description." in response.get_data(as_text=True)


def test_location_needs_an_address_or_a_pin(portal):
    _choose(portal)
    post_form(portal, "/report/details", {"q_size": "large"})
    response = post_form(portal, "/report/location", {"address": ""})
    assert response.status_code == 400
    assert "Tell us where" in response.get_data(as_text=True)
    bad_pin = post_form(portal, "/report/location", {"address": "", "lat": "123", "lng": "-89.6"})
    assert "That map position is not valid." in bad_pin.get_data(as_text=True)
    ok = post_form(portal, "/report/location", {"address": "1200 Oak Street"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/report/contact")


def test_contact_rules_come_from_the_category(portal):
    _choose(portal, "graffiti")
    post_form(portal, "/report/details", {})
    post_form(portal, "/report/location", {"address": "Main and 5th"})
    page = portal.get("/report/contact").get_data(as_text=True)
    assert 'name="anonymous"' not in page and "cannot be reported anonymously" in page
    response = post_form(portal, "/report/contact", {"name": "Ana"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Give an e-mail address or a phone number." in html
    assert 'value="Ana"' in html
    bad = post_form(portal, "/report/contact", {"email": "ana@"})
    assert "Enter an e-mail address like name@example.com." in bad.get_data(as_text=True)
    assert 'value="ana@"' in bad.get_data(as_text=True)


def test_whole_flow_files_through_intake_and_shows_the_tracking_number(portal, city):
    _choose(portal)
    post_form(portal, "/report/details", {"q_size": "large", "q_depth": "4", "q_lanes": ["left", "right"],
                                          "description": "Deep hole in the right lane"})
    post_form(portal, "/report/location", {"address": "1200 Oak Street", "lat": "39.7817", "lng": "-89.6501"})
    post_form(portal, "/report/contact", {"name": "Ana Ruiz", "email": "Ana@Example.com"})
    review = portal.get("/report/review").get_data(as_text=True)
    assert "Larger than a plate" in review and "Left lane, Right lane" in review and "1200 Oak Street" in review
    done = post_form(portal, "/report/review", {}, follow_redirects=True)
    html = done.get_data(as_text=True)
    [req] = _requests(city)
    assert req.number in html and "What happens next" in html and "Expected by" in html
    assert req.channel == "portal" and req.reporter_email == "ana@example.com" and req.address == "1200 Oak Street"
    assert {a["code"]: a["value"] for a in req.answers} == {"size": "large", "depth": "4", "lanes": ["left", "right"]}
    # The draft is gone: a new report starts from the beginning.
    assert portal.get("/report/review").status_code == 302
    with tenant_context(city.id):
        assert db.session.scalar(select(Follower.email)) == "ana@example.com"


def test_photos_are_sent_on_the_review_step(portal, city):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 50, 50)).save(buffer, format="JPEG")
    _choose(portal, "streetlight")
    post_form(portal, "/report/details", {"q_pole": "SL-1142"})
    post_form(portal, "/report/location", {"address": "Elm and 3rd"})
    post_form(portal, "/report/contact", {"anonymous": "y"})
    response = post_form(portal, "/report/review", {"photos": [(io.BytesIO(buffer.getvalue()), "lamp.jpg")]},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    [req] = _requests(city)
    assert req.anonymous and req.reporter_email is None
    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest))
        assert len(req.attachments) == 1
        number = req.number
    page = portal.get(f"/requests/{number}").get_data(as_text=True)
    assert 'alt="Photo 1 of the problem"' in page and "/media/" in page


def test_a_file_that_is_not_a_photo_is_refused_next_to_the_photo_field(portal, city):
    _choose(portal, "streetlight")
    post_form(portal, "/report/details", {})
    post_form(portal, "/report/location", {"address": "Elm and 3rd"})
    post_form(portal, "/report/contact", {"anonymous": "y"})
    response = post_form(portal, "/report/review", {"photos": [(io.BytesIO(b"not an image"), "notes.txt")]},
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'id="photos-error"' in response.get_data(as_text=True)
    assert _requests(city) == []


def test_emergency_notice_and_deflection(portal, city, monkeypatch):
    response = _choose(portal, "downed-wire")
    assert response.headers["Location"].endswith("/report/before")
    page = portal.get("/report/before").get_data(as_text=True)
    assert "If a wire is sparking or anyone is hurt, call 911 now." in page
    es = portal.get("/report/before?lang=es").get_data(as_text=True)
    assert "Si un cable echa chispas" in es
    done = post_form(portal, "/report/before", {"article_id": "kb-17"})
    assert done.headers["Location"].endswith("/report/solved")
    with tenant_context(city.id):
        [row] = db.session.scalars(select(Deflection)).all()
        assert row.article_id == "kb-17" and row.category_id is not None


def test_likely_duplicates_are_offered_before_submitting(portal, city):
    def file_one(email):
        _choose(portal)
        post_form(portal, "/report/details", {"q_size": "small"})
        post_form(portal, "/report/location", {"address": "1200 Oak Street", "lat": "39.7817", "lng": "-89.6501"})
        post_form(portal, "/report/contact", {"email": email})

    file_one("first@example.com")
    post_form(portal, "/report/review", {})
    [first] = _requests(city)
    file_one("second@example.com")
    review = portal.get("/report/review").get_data(as_text=True)
    assert f"Follow {first.number} instead" in review


def test_suspended_city_shows_its_phone_number(portal, city):
    city.status = "suspended"
    db.session.commit()
    response = portal.get("/report")
    assert response.status_code == 503
    assert "(217) 555-0311" in response.get_data(as_text=True)
    assert "(217) 555-0311" in portal.get("/").get_data(as_text=True)


def test_a_city_that_switched_the_portal_off_shows_how_to_reach_it_instead_of_a_form(portal, city):
    _choose(portal)  # a resident half-way through when the city switches the channel off
    city.channels = {**city.channels, "portal": False}
    city.contact_email = "311@springfield.test"
    city.hours_text = "Mon–Fri 8–5"
    db.session.commit()
    for path in ("/report", "/report/details", "/report/location", "/report/contact", "/report/review"):
        response = portal.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 503, path
        assert "does not take reports on this website" in html and "(217) 555-0311" in html
        assert "311@springfield.test" in html and "Mon–Fri 8–5" in html
        assert "<form" not in html.split('id="reporting-closed"', 1)[1].split("</main>", 1)[0], path
    refused = portal.post("/report/review", data={})
    assert refused.status_code >= 400 and not _requests(city)
    home = portal.get("/").get_data(as_text=True)
    assert "does not take reports on this website" in home and "How to report a problem" in home
    assert 'class="button primary big"' not in home
    es = portal.get("/report?lang=es").get_data(as_text=True)
    assert "Springfield no recibe reportes en este sitio web" in es and "(217) 555-0311" in es
    assert "Cómo reportar un problema" in es
    # Tracking still works: the notice only replaces what would be refused.
    assert portal.get("/track").status_code == 200


def test_a_category_not_offered_on_the_portal_is_not_listed_nor_accepted(portal, city):
    from civic311.tenants.catalog import Category

    _choose(portal, "graffiti")  # started before the city took graffiti off the portal
    with tenant_context(city.id):
        graffiti = db.session.scalar(select(Category).where(Category.service_code == "graffiti"))
        graffiti.channels = ["phone", "api"]
        db.session.commit()
    page = portal.get("/report").get_data(as_text=True)
    assert "Graffiti" not in page and "Pothole" in page
    assert portal.get("/report?q=paint").get_data(as_text=True).count('name="category"') == 0
    assert _choose(portal, "graffiti").status_code == 400
    assert portal.get("/report/details").status_code == 302  # the draft's category is no longer offered
    assert "Grafiti" not in portal.get("/report?lang=es").get_data(as_text=True)


def test_a_signed_in_resident_owns_named_reports_but_never_anonymous_ones(portal, city):
    post_form(portal, "/account/sign-up", {"email": "res@example.com", "password": "long enough pw", "locale": "en"})
    for anonymous in (False, True):
        _choose(portal, "streetlight")
        post_form(portal, "/report/details", {})
        post_form(portal, "/report/location", {"address": "Elm and 3rd"})
        post_form(portal, "/report/contact", {"email": "res@example.com", **({"anonymous": "y"} if anonymous else {})})
        post_form(portal, "/report/review", {})
    rows = _requests(city)
    assert len(rows) == 2
    named = [r for r in rows if not r.anonymous]
    anonymous = [r for r in rows if r.anonymous]
    assert named[0].resident_account_id is not None and anonymous[0].resident_account_id is None
    mine = portal.get("/account").get_data(as_text=True)
    assert named[0].number in mine and anonymous[0].number not in mine


def test_a_knowledge_base_answer_may_solve_it_and_counts_as_helpful(portal, city):
    from civic311.kb.models import KbArticle
    from civic311.tenants.catalog import Category

    with tenant_context(city.id):
        pothole = db.session.scalar(select(Category).where(Category.service_code == "streetlight"))
        article = KbArticle(title="Streetlights on Oak Street are being replaced",
                            body="Crews replace the lamps on Oak Street this week; no need to report them.",
                            category_ids=[str(pothole.id)], keywords=["lamp"], locale="en")
        db.session.add(article)
        db.session.commit()
        article_id = article.id
    response = _choose(portal, "streetlight")
    assert response.headers["Location"].endswith("/report/before")
    page = portal.get("/report/before").get_data(as_text=True)
    assert "Streetlights on Oak Street are being replaced" in page
    assert "Streetlights on Oak Street are being replaced" in portal.get("/").get_data(as_text=True)
    post_form(portal, "/report/before", {"article_id": str(article_id)})
    with tenant_context(city.id):
        assert db.session.scalar(select(KbArticle.helpful_count)) == 1
        assert db.session.scalar(select(Deflection.article_id)) == str(article_id)


def test_stale_drafts_are_purged(portal, city):
    from datetime import timedelta

    from civic311.portal.jobs import purge_stale_drafts
    from civic311.portal.models import ReportDraft

    _choose(portal)
    with tenant_context(city.id):
        draft = db.session.scalar(select(ReportDraft))
        draft.updated_at = draft.updated_at - timedelta(days=2)
        db.session.commit()
    assert purge_stale_drafts() == 1
    assert portal.get("/report/details").status_code == 302


def test_deflections_are_counted_per_city_category_and_local_day(portal, city, app):
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from civic311.portal.service import deflections_per_day
    from civic311.tenants.catalog import Category
    from tests.portal.conftest import city_client

    for _ in range(2):
        _choose(portal, "downed-wire")
        post_form(portal, "/report/before", {})
    other = city_client(app, "shelbyville.localhost")
    _choose(other, "downed-wire")
    post_form(other, "/report/before", {})
    with tenant_context(city.id):
        wire = db.session.scalar(select(Category.id).where(Category.service_code == "downed-wire"))
        # One more, stored at 02:00 UTC on 2 March: still 1 March in Springfield (America/Chicago).
        db.session.add(Deflection(category_id=wire, locale="es", created_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC)))
        db.session.commit()
        today = datetime.now(UTC).astimezone(ZoneInfo(city.timezone)).date()
        counts = deflections_per_day(date(2026, 3, 1), today, timezone=city.timezone)
    assert counts == {(today, wire): 2, (date(2026, 3, 1), wire): 1}, "Shelbyville's is its own"


def _jpeg(colour=(200, 50, 50)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _up_to_review(portal):
    _choose(portal, "streetlight")
    post_form(portal, "/report/details", {"q_pole": "SL-1142"})
    post_form(portal, "/report/location", {"address": "Elm and 3rd"})
    post_form(portal, "/report/contact", {"anonymous": "y"})


def test_several_photos_are_all_stored(portal, city):
    _up_to_review(portal)
    photos = [(io.BytesIO(_jpeg((200, 50, 50))), "front.jpg"), (io.BytesIO(_jpeg((50, 50, 200))), "side.jpg")]
    response = post_form(portal, "/report/review", {"photos": photos}, content_type="multipart/form-data")
    assert response.status_code == 302
    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest))
        assert len(req.attachments) == 2
        number = req.number
    page = portal.get(f"/requests/{number}").get_data(as_text=True)
    assert 'alt="Photo 1 of the problem"' in page and 'alt="Photo 2 of the problem"' in page


def test_more_photos_than_the_limit_are_refused_and_nothing_is_lost(portal, city):
    from civic311.portal.views_report import MAX_PHOTOS

    _up_to_review(portal)
    photos = [(io.BytesIO(_jpeg()), f"photo{i}.jpg") for i in range(MAX_PHOTOS + 1)]
    response = post_form(portal, "/report/review", {"photos": photos}, content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="photos-error"' in html
    assert f"You chose {MAX_PHOTOS + 1} photos; send at most {MAX_PHOTOS}." in html
    assert _requests(city) == []
    # The draft is kept: the review still shows what was typed, and sending the allowed number files it.
    assert "Elm and 3rd" in portal.get("/report/review").get_data(as_text=True)
    again = post_form(portal, "/report/review", {"photos": [(io.BytesIO(_jpeg()), "one.jpg")]},
                      content_type="multipart/form-data")
    assert again.status_code == 302
    [req] = _requests(city)
    assert req.address == "Elm and 3rd"
