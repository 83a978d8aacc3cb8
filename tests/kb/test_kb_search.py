"""Knowledge-base search: ranked, language-bound, city-bound."""

from __future__ import annotations

import uuid

from civic311.db import db
from civic311.kb.models import KbArticle
from civic311.kb.search import search_articles
from civic311.tenancy import tenant_context


def _article(title, body="", keywords=(), locale="en", published=True, category_ids=()):
    row = KbArticle(title=title, body=body, keywords=list(keywords), locale=locale, published=published,
                    category_ids=[str(c) for c in category_ids])
    db.session.add(row)
    db.session.flush()
    return row


def test_best_match_first_and_only_published_in_the_language(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        trash = _article("When is my trash picked up?", "Collection runs weekly by zone.", ["garbage", "trash"])
        pothole = _article("How fast are potholes fixed?", "Crews fill reported potholes in 3 business days.",
                           ["pothole", "road"])
        _article("Draft about potholes", "Not ready", ["pothole"], published=False)
        bache = _article("¿Cuándo reparan los baches?", "Las cuadrillas rellenan baches en tres días.",
                         ["bache", "calle"], locale="es")
        db.session.commit()

        found = search_articles("there is a big pothole on my road", "en")
        assert found[0].id == pothole.id
        assert trash not in found
        assert all(a.published for a in found)
        assert search_articles("Bachés", "es") == [bache]
        assert search_articles("", "en")[0].published  # no words: the most helpful answers


def test_category_link_breaks_ties_and_lists_linked_answers(two_tenants):
    a, _ = two_tenants
    cat = uuid.uuid4()
    with tenant_context(a.id):
        other = _article("Streetlight out", "Report a dark streetlight", ["light"])
        linked = _article("Streetlight flickering", "Report a flickering light", ["light"], category_ids=[cat])
        db.session.commit()
        assert search_articles("light", "en", category_id=cat)[0].id == linked.id
        assert search_articles("", "en", category_id=cat) == [linked]
        assert other in search_articles("light", "en")


def test_another_citys_answers_never_show(two_tenants):
    a, b = two_tenants
    with tenant_context(b.id):
        _article("Bravotown potholes", "marker", ["pothole"])
        db.session.commit()
    with tenant_context(a.id):
        assert search_articles("pothole", "en") == []
