"""Writing the knowledge base: city admins and supervisors create, edit and retire answers."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from civic311 import audit
from civic311.actor import current_actor
from civic311.db import db
from civic311.kb.models import LOCALES, KbArticle
from civic311.tenants.catalog import Category


class KbError(ValueError):
    pass


def parse_keywords(raw: str) -> list[str]:
    """"pothole, bache;  road " -> ["pothole", "bache", "road"] (order kept, no repeats)."""
    seen: list[str] = []
    for part in raw.replace(";", ",").replace("\n", ",").split(","):
        word = part.strip().lower()
        if word and word not in seen:
            seen.append(word[:60])
    return seen[:40]


def _known_categories(category_ids: list[str]) -> list[str]:
    wanted = []
    for raw in category_ids:
        try:
            wanted.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not wanted:
        return []
    return [str(i) for i in db.session.scalars(select(Category.id).where(Category.id.in_(wanted)))]


def save_article(article: KbArticle | None, *, title: str, body: str, keywords: list[str] | str,
                 category_ids: list[str], locale: str, published: bool,
                 translation_of_id: uuid.UUID | None = None) -> KbArticle:
    """Create or update one answer. Categories of another city are silently dropped (never linked)."""
    if locale not in LOCALES:
        raise KbError(f"unknown language {locale}")
    if not title.strip():
        raise KbError("an answer needs a title")
    if isinstance(keywords, str):
        keywords = parse_keywords(keywords)
    created = article is None
    if article is None:
        article = KbArticle()
        db.session.add(article)
    article.title = title.strip()
    article.body = body.strip()
    article.keywords = list(keywords)
    article.category_ids = _known_categories(category_ids)
    article.locale = locale
    article.published = published
    if translation_of_id is not None:
        article.translation_of_id = translation_of_id
    article.updated_by_user_id = current_actor().user_id
    db.session.flush()
    audit.record("kb.created" if created else "kb.updated", target=article,
                 details={"title": article.title, "locale": locale, "published": published})
    return article


def delete_article(article: KbArticle) -> None:
    audit.record("kb.deleted", target=article, details={"title": article.title})
    db.session.delete(article)
    db.session.flush()


def mark_helpful(article: KbArticle) -> None:
    """A resident or agent said this answer solved it (the portal calls this)."""
    article.helpful_count += 1
    db.session.flush()


# --- starter answers (the setup wizard offers them; the demo adopts them) --------------------------

def suggested_articles() -> list[dict]:
    """Starter answers for the categories this city offers, not adopted yet: [{"key", "title"}]."""
    from civic311.kb.starter import STARTER_ANSWERS

    codes = set(db.session.scalars(select(Category.service_code).where(Category.active.is_(True))))
    adopted = set(db.session.scalars(select(KbArticle.source_key).where(KbArticle.source_key.is_not(None))))
    return [{"key": a["key"], "title": a["en"][0]} for a in STARTER_ANSWERS
            if a["key"] not in adopted and (not a["codes"] or codes & set(a["codes"]))]


def adopt_suggested(keys: list[str], city_name: str | None = None) -> int:
    """Add the chosen starter answers, in English and Spanish, linked to the city's matching categories."""
    from civic311.kb.starter import STARTER_ANSWERS
    from civic311.tenancy import current_tenant_id
    from civic311.tenants.models import Tenant

    if city_name is None:
        city_name = db.session.get(Tenant, current_tenant_id()).title
    wanted = {s["key"] for s in suggested_articles()} & set(keys)
    by_code = {c.service_code: str(c.id) for c in db.session.scalars(select(Category))}
    added = 0
    for answer in STARTER_ANSWERS:
        if answer["key"] not in wanted:
            continue
        category_ids = [by_code[c] for c in answer["codes"] if c in by_code]
        original = None
        for locale in LOCALES:
            title, body, keywords = answer[locale]
            article = save_article(None, title=title, body=body.replace("{city}", city_name), keywords=keywords,
                                   category_ids=category_ids, locale=locale, published=True,
                                   translation_of_id=original.id if original else None)
            article.source_key = answer["key"]
            original = original or article
            added += 1
    db.session.flush()
    return added
