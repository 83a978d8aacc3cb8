"""Tracking, the public request page, following, the reporter's reopen, the public list, accounts,
brand colours and the vendored front-end files."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from sqlalchemy import select

from civic311.db import db, utcnow
from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request
from civic311.platform.models import Follower, RequestEvent, ServiceRequest
from civic311.portal import service
from civic311.portal.branding import contrast, readable_on_white
from civic311.tenancy import tenant_context
from tests.conftest import csrf_token_from
from tests.portal.conftest import city_client, post_form


def _file(city, code="pothole", email="ana@example.com", **kw) -> str:
    with tenant_context(city.id):
        result = file_request(IntakeSubmission(
            service_code=code, channel="portal", answers={"size": "small"} if code == "pothole" else {},
            description="Hole by the bus stop", location=Location(lat=39.78, lng=-89.65, address="1200 Oak Street"),
            contact=Contact(name="Ana", email=email), **kw))
        db.session.commit()
        return result.request.number


def _close(city, number, days_ago=1):
    """Close as staff would (the row directly: the survey engine is not what is tested here)."""
    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        req.status, req.close_reason, req.close_note = "closed", "resolved", "Patched with asphalt."
        req.closed_at = utcnow() - timedelta(days=days_ago)
        db.session.add(RequestEvent(request_id=req.id, kind="closed", public=True, to_status="closed",
                                    data={"reason": "resolved"}, message="Patched with asphalt."))
        db.session.commit()


def _token(city, number) -> str:
    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        return service.reporter_token(req)


def test_track_by_number_finds_it_and_explains_a_wrong_number(portal, city):
    number = _file(city)
    ok = post_form(portal, "/track", {"number": number.lower()})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/requests/{number}")
    wrong = post_form(portal, "/track", {"number": "SPR-00-000000"})
    assert wrong.status_code == 404
    html = wrong.get_data(as_text=True)
    assert "We could not find a request with that number" in html and 'value="SPR-00-000000"' in html
    empty = post_form(portal, "/track", {"number": ""})
    assert empty.status_code == 400 and "Enter the tracking number." in empty.get_data(as_text=True)


def test_request_page_shows_status_history_and_department_but_not_the_reporter(portal, city):
    number = _file(city)
    html = portal.get(f"/requests/{number}").get_data(as_text=True)
    assert "Received" in html and "Report received" in html and "Hole by the bus stop" in html
    assert "Expected by" in html
    assert "ana@example.com" not in html and "Ana" not in html.split("<main")[1].split("Follow this request")[0]


def test_a_late_request_says_so(portal, city):
    number = _file(city)
    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        req.due_at = utcnow() - timedelta(days=2)
        db.session.commit()
    assert "Late" in portal.get(f"/requests/{number}").get_data(as_text=True)


def test_another_citys_request_is_not_found(app, portal, city):
    number = _file(city)
    other = city_client(app, "shelbyville.localhost")
    assert other.get(f"/requests/{number}").status_code == 404
    assert post_form(other, "/track", {"number": number}).status_code == 404


def test_follow_by_email(portal, city):
    number = _file(city)
    page = portal.get(f"/requests/{number}").get_data(as_text=True)
    token = csrf_token_from(page)
    bad = portal.post(f"/requests/{number}/follow", data={"csrf_token": token, "email": "bob@"})
    assert bad.status_code == 400
    assert "Enter an e-mail address like name@example.com." in bad.get_data(as_text=True)
    assert 'value="bob@"' in bad.get_data(as_text=True)
    ok = portal.post(f"/requests/{number}/follow", data={"csrf_token": token, "email": "Bob@Example.com"},
                     follow_redirects=True)
    assert "we will e-mail bob@example.com" in ok.get_data(as_text=True)
    with tenant_context(city.id):
        assert "bob@example.com" in db.session.scalars(select(Follower.email)).all()


def test_the_reporter_reopens_with_the_signed_link(portal, city):
    number = _file(city)
    _close(city, number)
    public = portal.get(f"/requests/{number}").get_data(as_text=True)
    assert "Fixed" in public and "Patched with asphalt." in public and "Reopen this request" not in public
    token = _token(city, number)
    page = portal.get(f"/requests/{number}?t={token}").get_data(as_text=True)
    assert "Reopen this request" in page
    csrf = csrf_token_from(page)
    empty = portal.post(f"/requests/{number}/reopen", data={"csrf_token": csrf, "token": token, "reason": ""})
    assert empty.status_code == 400 and "Say why the problem is not solved." in empty.get_data(as_text=True)
    forged = portal.post(f"/requests/{number}/reopen", data={"csrf_token": csrf, "token": "x", "reason": "Still"})
    assert forged.status_code == 403
    done = portal.post(f"/requests/{number}/reopen", data={"csrf_token": csrf, "token": token,
                                                          "reason": "The hole is back after the rain."},
                       follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Reopened" in html and "The hole is back after the rain." in html
    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        assert req.status == "new" and req.reopened_count == 1


def test_the_reporter_url_for_e_mails_opens_the_reopen_form(app, portal, city):
    number = _file(city)
    _close(city, number)
    with app.test_request_context(base_url="http://springfield.localhost"), tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        url = service.reporter_url(req)
    assert url.startswith(f"http://springfield.localhost/requests/{number}?t=")
    assert "Reopen this request" in portal.get(url.removeprefix("http://springfield.localhost")).get_data(as_text=True)


def test_reopen_window_is_the_citys(portal, city):
    number = _file(city)
    _close(city, number, days_ago=45)
    token = _token(city, number)
    page = portal.get(f"/requests/{number}?t={token}").get_data(as_text=True)
    response = portal.post(f"/requests/{number}/reopen", data={"csrf_token": csrf_token_from(page), "token": token,
                                                              "reason": "Still broken"})
    assert response.status_code == 400
    assert "closed more than 30 days ago" in response.get_data(as_text=True)


def test_a_signed_in_resident_reopens_their_own_request(portal, city):
    post_form(portal, "/account/sign-up", {"email": "ana@example.com", "password": "long enough pw", "locale": "en"})
    with tenant_context(city.id):
        from civic311.accounts.models import ResidentAccount

        account = db.session.scalar(select(ResidentAccount))
        account_id = account.id
    number = _file(city, resident_account_id=account_id)
    _close(city, number)
    assert "Reopen this request" in portal.get(f"/requests/{number}").get_data(as_text=True)


def test_public_list_filters_and_json(portal, city):
    pothole = _file(city)
    graffiti = _file(city, code="graffiti")
    _close(city, graffiti)
    html = portal.get("/requests").get_data(as_text=True)
    assert pothole in html and graffiti in html
    only_open = portal.get("/requests?status=open").get_data(as_text=True)
    assert pothole in only_open and graffiti not in only_open
    only_graffiti = portal.get("/requests?category=graffiti").get_data(as_text=True)
    assert graffiti in only_graffiti and pothole not in only_graffiti
    data = portal.get("/requests.json?status=open").get_json()
    assert [d["service_request_id"] for d in data] == [pothole]
    assert "ana@example.com" not in portal.get("/requests.json").get_data(as_text=True)
    near = portal.get("/requests.json?lat=39.78&lng=-89.65").get_json()
    assert {d["service_request_id"] for d in near} == {pothole, graffiti}
    assert portal.get("/requests.json?lat=99&lng=0").status_code == 400


def test_sign_up_sign_in_and_settings(portal, city):
    short = post_form(portal, "/account/sign-up", {"email": "res@example.com", "password": "short", "locale": "en"})
    assert short.status_code == 400 and "Use at least 10 characters." in short.get_data(as_text=True)
    assert 'value="res@example.com"' in short.get_data(as_text=True)
    ok = post_form(portal, "/account/sign-up", {"email": "res@example.com", "password": "long enough pw",
                                                "locale": "es"})
    assert ok.status_code == 302
    again = city_client(portal.application)
    twice = post_form(again, "/account/sign-up", {"email": "RES@example.com", "password": "long enough pw",
                                                  "locale": "en"})
    assert "There is already an account with this e-mail." in twice.get_data(as_text=True)
    wrong = post_form(again, "/account/sign-in", {"email": "res@example.com", "password": "wrong password"})
    assert wrong.status_code == 401 and "do not match an account" in wrong.get_data(as_text=True)
    assert again.get("/account").status_code == 302
    right = post_form(again, "/account/sign-in", {"email": "res@example.com", "password": "long enough pw"})
    assert right.status_code == 302
    settings = post_form(again, "/account/settings", {"name": "Rosa", "phone": "", "locale": "en",
                                                      "notify_email": "y"},
                         follow_redirects=True)
    assert "Your settings are saved." in settings.get_data(as_text=True)
    with tenant_context(city.id):
        from civic311.accounts.models import ResidentAccount

        account = db.session.scalar(select(ResidentAccount))
        assert account.name == "Rosa" and account.locale == "en" and account.notify_sms is False


def test_an_account_of_one_city_does_not_sign_in_to_another(app, portal, city):
    post_form(portal, "/account/sign-up", {"email": "res@example.com", "password": "long enough pw", "locale": "en"})
    other = city_client(app, "shelbyville.localhost")
    response = post_form(other, "/account/sign-in", {"email": "res@example.com", "password": "long enough pw"})
    assert response.status_code == 401


def test_brand_colours_are_darkened_until_they_pass_aa(portal):
    assert readable_on_white("#1f4e79") == "#1f4e79"
    light = readable_on_white("#4a90e2")
    assert light != "#4a90e2" and contrast(light, "#ffffff") >= 4.5
    assert contrast(readable_on_white("#ffff00"), "#ffffff") >= 4.5
    html = portal.get("/").get_data(as_text=True)
    assert f"--brand: {light}" in html and "Welcome to Springfield 311." in html


def test_spanish_home_page(portal):
    html = portal.get("/?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in html and "Bienvenido a Springfield 311." in html
    assert 'href="/?lang=en"' in html
    assert "Reportar un problema" in html and "Consultar una solicitud" in html
    assert "Saltar al contenido principal" in html


def test_errors_are_in_the_residents_language(portal):
    from tests.portal.test_report_flow import _choose

    portal.get("/?lang=es")
    _choose(portal)
    response = post_form(portal, "/report/details", {"q_depth": "hondo"})
    html = response.get_data(as_text=True)
    assert "Responda esta pregunta: ¿Qué tamaño tiene?" in html and "Escriba un número." in html
    assert 'value="hondo"' in html


def test_leaflet_is_served_from_the_app_with_caching(portal, platform_client):
    response = portal.get("/assets/vendor/leaflet/leaflet.js")
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    assert portal.get("/assets/vendor/leaflet/../package.json").status_code == 404
    assert portal.get("/assets/vendor/axe-core/axe.min.js").status_code == 404


def test_a_resident_with_a_dot_test_address_signs_in(portal, city):
    """The demo's resident@springfield.test must be able to sign in (sign-in checks no address format)."""
    from civic311.accounts.models import ResidentAccount
    from civic311.accounts.passwords import hash_password

    with tenant_context(city.id):
        db.session.add(ResidentAccount(email="resident@springfield.test", password_hash=hash_password("demo-password")))
        db.session.commit()
    signed_in = post_form(portal, "/account/sign-in",
                          {"email": "resident@springfield.test", "password": "demo-password"})
    assert signed_in.status_code == 302
    assert portal.get("/account").status_code == 200


def _close_with_lifecycle(city, number):
    from civic311.platform import lifecycle

    with tenant_context(city.id):
        req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        lifecycle.close(req, "resolved", note="Patched with asphalt.")
        db.session.commit()


def test_the_reporter_rates_the_service_from_the_request_page(portal, city):
    number = _file(city)
    token = _token(city, number)
    assert "Rate the service" not in portal.get(f"/requests/{number}?t={token}").get_data(as_text=True)
    _close_with_lifecycle(city, number)
    assert "Rate the service" not in portal.get(f"/requests/{number}").get_data(as_text=True), "reporter only"
    page = portal.get(f"/requests/{number}?t={token}").get_data(as_text=True)
    assert "How did we do?" in page and "Rate the service" in page
    survey_path = page[page.index('href="/survey/') + len('href="'):].split('"', 1)[0]
    survey = portal.get(survey_path)
    assert survey.status_code == 200 and number in survey.get_data(as_text=True)
    thanks = post_form(portal, survey_path, {"score": "4", "comment": "Quick and tidy."})
    assert thanks.status_code == 200
    after = portal.get(f"/requests/{number}?t={token}").get_data(as_text=True)
    assert "Thank you: you rated this service 4 out of 5." in after and "Rate the service" not in after
    es = portal.get(f"/requests/{number}?t={token}&lang=es").get_data(as_text=True)
    assert "Gracias: usted calificó este servicio con 4 de 5." in es


def test_a_signed_in_reporter_sees_the_survey_in_spanish(portal, city):
    post_form(portal, "/account/sign-up", {"email": "res@example.com", "password": "long enough pw", "locale": "es"})
    with tenant_context(city.id):
        account = service.find_account("res@example.com")
        account_id = account.id
    number = _file(city, email="res@example.com", resident_account_id=account_id)
    _close_with_lifecycle(city, number)
    page = portal.get(f"/requests/{number}?lang=es").get_data(as_text=True)
    assert "Calificar el servicio" in page and "¿Cómo lo hicimos?" in page


def test_a_reporter_without_e_mail_opens_the_survey_from_the_request_page(portal, city):
    with tenant_context(city.id):
        req = file_request(IntakeSubmission(service_code="streetlight", channel="portal",
                                            location=Location(address="Elm and 3rd"),
                                            contact=Contact(name="Pat Doe")))
        db.session.commit()
        number = req.request.number
    _close_with_lifecycle(city, number)  # closure sends a survey by e-mail or text: Pat left neither
    token = _token(city, number)
    page = portal.get(f"/requests/{number}?t={token}").get_data(as_text=True)
    assert "Rate the service" in page and 'href="/survey/' not in page
    refused = post_form(portal, f"/requests/{number}?t={token}", {"token": "forged"})
    assert refused.status_code == 405  # the page itself takes no post
    stranger = portal.post(f"/requests/{number}/survey", data={
        "csrf_token": csrf_token_from(page), "token": "forged"})
    assert stranger.status_code == 403
    opened = portal.post(f"/requests/{number}/survey", data={"csrf_token": csrf_token_from(page), "token": token})
    assert opened.status_code == 302 and "/survey/" in opened.headers["Location"]
    assert portal.get(opened.headers["Location"]).status_code == 200


def test_every_portal_string_has_its_spanish_translation():
    """Labels, status words and errors of the portal (and of the survey it links to) are all in the
    Spanish catalogue as live entries: an obsolete `#~` entry is not used, and the page shows English."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2] / "civic311"
    with open(root / "translations/es/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string}
    sources = [*root.glob("portal/*.py"), *root.glob("templates/portal/*.html"),
               *root.glob("platform/templates/platform/survey*.html"), root / "platform/blueprints.py"]
    call = re.compile(r"""\b_l?\(\s*(?:"((?:[^"\\]|\\.)+)"|'((?:[^'\\]|\\.)+)')\s*[,)]""")
    used = {m.group(1) or m.group(2) for path in sources for m in call.finditer(path.read_text(encoding="utf-8"))}
    missing = sorted(s for s in used if "\\" not in s and s not in translated)
    assert not missing, f"no Spanish for: {missing}"


def test_request_page_status_words_are_spanish(portal, city):
    number = _file(city)
    html = portal.get(f"/requests/{number}?lang=es").get_data(as_text=True)
    assert "Recibida" in html and "Tenemos su reporte." in html and "Reporte recibido" in html
    assert "Su correo electrónico" in html


def _open311_ids(portal, query: str) -> list[str]:
    rows = portal.get(f"/open311/v2/requests.json{query}").get_json()
    return [r["service_request_id"] for r in rows]


def test_public_list_shows_the_requests_open311_serves(portal, city):
    first = _file(city)
    anonymous = _file(city, code="streetlight", email=None, anonymous=True)
    graffiti = _file(city, code="graffiti")
    repeat = _file(city)
    _close(city, graffiti)
    with tenant_context(city.id):  # staff close the repeat as a duplicate of the first report
        rows = {r.number: r for r in db.session.scalars(select(ServiceRequest))}
        rows[repeat].status, rows[repeat].close_reason = "closed", "duplicate"
        rows[repeat].duplicate_of_id, rows[repeat].closed_at = rows[first].id, utcnow()
        db.session.commit()
    for portal_query, api_query in [("", ""), ("?status=open", "?status=open"), ("?status=closed", "?status=closed"),
                                    ("?category=pothole", "?service_code=pothole"),
                                    ("?category=streetlight&status=open", "?service_code=streetlight&status=open")]:
        listed = [d["service_request_id"] for d in portal.get(f"/requests.json{portal_query}").get_json()]
        assert listed == _open311_ids(portal, api_query), portal_query
        html = portal.get(f"/requests{portal_query}").get_data(as_text=True)
        assert [n for n in (first, anonymous, graffiti, repeat) if n in html] == \
            [n for n in (first, anonymous, graffiti, repeat) if n in listed], portal_query
    assert set(_open311_ids(portal, "")) == {first, anonymous, graffiti, repeat}


def _square(lat: float, lng: float, half: float = 0.01) -> dict:
    ring = [[lng - half, lat - half], [lng + half, lat - half], [lng + half, lat + half], [lng - half, lat + half],
            [lng - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def _file_at(city, lat: float, lng: float, address: str) -> str:
    with tenant_context(city.id):
        result = file_request(IntakeSubmission(
            service_code="pothole", channel="portal", answers={"size": "small"}, description="Hole",
            location=Location(lat=lat, lng=lng, address=address), contact=Contact(email="ana@example.com")))
        db.session.commit()
        return result.request.number


def test_public_list_filters_by_area(portal, city):
    from civic311.tenants.catalog import Zone

    with tenant_context(city.id):
        zones = {}
        for name, lat in (("Ward 1", 39.80), ("Ward 2", 39.76)):
            zones[name] = Zone(name=name, geometry=_square(lat, -89.65), min_lng=-89.66, max_lng=-89.64,
                               min_lat=lat - 0.01, max_lat=lat + 0.01)
        db.session.add_all(zones.values())
        db.session.commit()
        ward1, ward2 = str(zones["Ward 1"].id), str(zones["Ward 2"].id)
    north = _file_at(city, 39.80, -89.65, "10 North Street")
    south = _file_at(city, 39.76, -89.65, "10 South Street")
    outside = _file_at(city, 39.90, -89.65, "10 Far Road")
    with tenant_context(city.id):  # the city's areas are what intake placed each request in
        placed = {r.number: str(r.zone_id) if r.zone_id else None for r in db.session.scalars(select(ServiceRequest))}
    assert placed == {north: ward1, south: ward2, outside: None}
    page = portal.get("/requests").get_data(as_text=True)
    assert "Ward 1" in page and "Ward 2" in page  # offered in the Area filter
    in_ward1 = portal.get(f"/requests?zone={ward1}").get_data(as_text=True)
    assert north in in_ward1 and south not in in_ward1 and outside not in in_ward1
    assert f'<option selected value="{ward1}">' in in_ward1 or f'value="{ward1}" selected' in in_ward1
    assert [d["service_request_id"] for d in portal.get(f"/requests.json?zone={ward2}").get_json()] == [south]
    assert portal.get("/requests.json?zone=not-an-area").get_json() == []


def _sign_up(portal) -> None:
    response = post_form(portal, "/account/sign-up", {"email": "res@example.com", "password": "long enough pw",
                                                      "locale": "en"})
    assert response.status_code == 302


def test_settings_form_explains_what_is_wrong_and_keeps_what_was_typed(portal, city):
    _sign_up(portal)
    too_long = post_form(portal, "/account/settings", {"name": "R" * 121, "phone": "5" * 41, "locale": "en",
                                                       "notify_email": "y"})
    html = too_long.get_data(as_text=True)
    assert too_long.status_code == 400
    assert 'id="name-error"' in html and 'id="phone-error"' in html and "Please correct the following" in html
    assert f'value="{"R" * 121}"' in html
    no_phone = post_form(portal, "/account/settings", {"name": "Rosa", "phone": "", "locale": "en",
                                                       "notify_sms": "y"})
    html = no_phone.get_data(as_text=True)
    assert no_phone.status_code == 400
    assert 'id="notify_sms-error"' in html and "Add a phone number to get text messages." in html
    bad_language = post_form(portal, "/account/settings", {"name": "Rosa", "phone": "", "locale": "xx"})
    assert bad_language.status_code == 400 and 'id="locale-error"' in bad_language.get_data(as_text=True)
    with tenant_context(city.id):  # nothing of the refused forms was saved
        from civic311.accounts.models import ResidentAccount

        account = db.session.scalar(select(ResidentAccount))
        assert account.name is None and account.phone is None and account.notify_sms is False
    saved = post_form(portal, "/account/settings", {"name": "Rosa", "phone": "217 555 0100", "locale": "en",
                                                    "notify_sms": "y"}, follow_redirects=True)
    assert "Your settings are saved." in saved.get_data(as_text=True)
    with tenant_context(city.id):
        assert db.session.scalar(select(ResidentAccount)).notify_sms is True


def test_the_citys_logo_is_shown_on_the_portal_home(portal, city):
    assert "branding/logo.png" not in portal.get("/").get_data(as_text=True)
    with tenant_context(city.id):
        db.session.get(type(city), city.id).logo_key = "local:t/springfield/branding/logo.png"
        db.session.commit()
    html = portal.get("/").get_data(as_text=True)
    assert re.search(r'<img src="/media/t/springfield/branding/logo\.png\?[^"]*" alt="">', html)
    assert "Springfield" in html.split("</header>")[0]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href", "action", "srcset") and value]


def test_portal_pages_load_nothing_from_another_host(portal, city):
    number = _file(city)
    with tenant_context(city.id):  # the city's own map tiles are its choice; the portal's files are not
        db.session.get(type(city), city.id).tile_url = "https://tiles.springfield.example/{z}/{x}/{y}.png"
        db.session.commit()
    configured = ("https://tiles.springfield.example/",)
    _sign_up(portal)
    for path in ("/", "/report", "/requests", f"/requests/{number}", "/track", "/account", "/account/settings",
                 "/account/sign-in", "/account/sign-up"):
        response = portal.get(path)
        assert response.status_code in (200, 302), path
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        assert response.status_code == 302 or any(u.endswith(".css") or ".css?" in u for u in parser.urls), path
        for url in parser.urls:
            host = urlsplit(url).netloc
            assert host in ("", "springfield.localhost") or url.startswith(configured), f"{path} loads {url}"
