"""Knowledge-base search: simple ranked keyword matching, the same on SQLite and PostgreSQL.

A city's knowledge base holds tens to a few hundred answers per language, so the published rows of
one language are read once and scored in Python; accents and case are folded so "baches" finds "Bache".
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import select

from civic311.db import db
from civic311.kb.models import KbArticle

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words too common to tell answers apart (English and Spanish).
_STOP = frozenset(
    "a an and are as at be by can do does for from how i in is it my of on or the to what when where who why "
    "with you your de del el en es la las lo los mi me que se su un una y o por para como cuando donde".split()
)
MAX_SCANNED = 2000  # a guard, far above any real city's knowledge base

# How much a query word counts, by where it is found.
W_KEYWORD, W_TITLE, W_BODY, W_CATEGORY = 5.0, 3.0, 1.0, 4.0


def fold(text: str) -> str:
    """Lower case without accents: "Bache" and "baché" both become "bache"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in _STOP and len(w) > 1]


def _stem(word: str) -> str:
    # Crude plural folding, enough for "potholes"/"pothole", "baches"/"bache", "luces"/"luz".
    for suffix in ("es", "s"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _matches(query_word: str, candidates: set[str]) -> bool:
    stem = _stem(query_word)
    return any(c == query_word or _stem(c) == stem or (len(stem) >= 4 and c.startswith(stem)) for c in candidates)


def score(article: KbArticle, query_words: list[str], category_id: uuid.UUID | str | None = None) -> float:
    keyword_words = {w for k in (article.keywords or []) for w in words(str(k))}
    title_words = set(words(article.title))
    body_words = set(words(article.body))
    total = 0.0
    for w in query_words:
        if _matches(w, keyword_words):
            total += W_KEYWORD
        if _matches(w, title_words):
            total += W_TITLE
        if _matches(w, body_words):
            total += W_BODY
    if total and article.linked_to(category_id):
        total += W_CATEGORY
    return total


def search_articles(
    text: str, locale: str, category_id: uuid.UUID | str | None = None, limit: int = 5
) -> list[KbArticle]:
    """Published answers of the current city in `locale`, best first.

    With no words: the answers linked to `category_id`, or with no category either, the most helpful
    answers (the portal's "common questions").
    """
    rows = db.session.scalars(
        select(KbArticle)
        .where(KbArticle.locale == locale, KbArticle.published.is_(True))
        .order_by(KbArticle.helpful_count.desc(), KbArticle.title)
        .limit(MAX_SCANNED)
    ).all()
    query_words = words(text)
    if not query_words:
        if category_id is None:
            return list(rows[:limit])
        return [a for a in rows if a.linked_to(category_id)][:limit]
    ranked = [(score(a, query_words, category_id), a) for a in rows]
    ranked = [(s, a) for s, a in ranked if s > 0]
    ranked.sort(key=lambda pair: (-pair[0], -pair[1].helpful_count, pair[1].title))
    return [a for _, a in ranked[:limit]]
