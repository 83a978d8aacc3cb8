"""Writing answers: supervisors and admins only; linked categories stay inside the city."""

from __future__ import annotations

from sqlalchemy import select

from civic311.actor import Actor, acting_as
from civic311.audit import AuditEvent
from civic311.db import db
from civic311.kb import service
from civic311.kb.models import KbArticle
from civic311.kb.search import search_articles
from civic311.tenancy import tenant_context
from tests.conftest import csrf_token_from
from tests.console.conftest import client_for


def test_supervisor_writes_an_answer_the_desk_finds(app, world):
    sup = client_for(app, world.supervisor)
    page = sup.get("/t/alpha/kb/new").get_data(as_text=True)
    assert "Pothole" in page  # categories to link
    response = sup.post("/t/alpha/kb/new", data={
        "csrf_token": csrf_token_from(page), "title": "¿Cuándo tapan los baches?", "locale": "es",
        "body": "Los baches se rellenan en tres días hábiles.\n\nLlame al 311 si es peligroso.",
        "keywords": "bache, hoyo, calle", "category_ids": [str(world.cat.pothole.id)], "published": "y"})
    assert response.status_code == 302
    with tenant_context(world.a.id):
        (article,) = search_articles("hoyo en la calle", "es")
        article_id = article.id  # read inside the city: after a commit, row-level security hides it
        assert article.keywords == ["bache", "hoyo", "calle"]
        assert article.category_ids == [str(world.cat.pothole.id)]
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "kb.created")) is not None
    desk = client_for(app, world.operator).get(f"/t/alpha/desk/article/{article_id}").get_data(as_text=True)
    assert "<p>Los baches se rellenan en tres días hábiles.</p>" in desk
    empty = sup.post(f"/t/alpha/kb/{article_id}", data={"csrf_token": csrf_token_from(page), "title": "",
                                                        "locale": "es", "body": ""})
    assert empty.status_code == 422


def test_staff_cannot_edit_and_other_cities_categories_are_never_linked(app, world):
    assert client_for(app, world.roads_staff).get("/t/alpha/kb/new").status_code == 403
    with tenant_context(world.a.id), acting_as(Actor(label="sup", user_id=world.supervisor.id, is_staff=True)):
        article = service.save_article(None, title="Graffiti", body="<script>alert(1)</script>", keywords="paint",
                                       category_ids=[str(world.cat_b.pothole.id), str(world.cat.graffiti.id), "x"],
                                       locale="en", published=True)
        assert article.category_ids == [str(world.cat.graffiti.id)]
        article_id = article.id
        db.session.commit()
    page = client_for(app, world.clerk).get(f"/t/alpha/desk/article/{article_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert client_for(app, world.outsider).get(f"/t/bravo/kb/{article_id}").status_code == 404
    with tenant_context(world.b.id):
        assert db.session.scalar(select(KbArticle)) is None


def test_starter_answers_are_offered_for_the_citys_categories_and_adopted_in_both_languages(world):
    with tenant_context(world.a.id), acting_as(Actor(label="admin", user_id=world.admin.id, is_staff=True)):
        from civic311.tenants.catalog import Category

        db.session.add(Category(service_code="pothole", name="Pothole (starter)"))
        db.session.flush()
        keys = [s["key"] for s in service.suggested_articles()]
        assert "pothole-timing" in keys and "request-status" in keys and "snow" not in keys
        assert service.adopt_suggested(["pothole-timing", "snow"]) == 2  # snow is not offered here
        (es,) = search_articles("bache", "es")
        (en,) = search_articles("pothole", "en")
        assert es.translation_of_id == en.id and "Alphaville" in en.body
        assert "pothole-timing" not in [s["key"] for s in service.suggested_articles()]
