"""The knowledge base: short answers written by a city's admins and supervisors, searched by the
portal (before a resident files) and by the agent desk (while the caller talks)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import db, utcnow
from civic311.tenancy import TenantScoped

LOCALES = ("en", "es")


class KbArticle(TenantScoped, db.Model):
    """One answer in one language. A translation is its own row, linked by `translation_of_id`."""

    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_locale", "tenant_id", "locale", "published"),)

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list] = mapped_column(default=list)  # ["pothole", "bache", ...]
    category_ids: Mapped[list] = mapped_column(default=list)  # str(Category.id), linked categories
    locale: Mapped[str] = mapped_column(String(8), default="en")
    published: Mapped[bool] = mapped_column(default=True)
    translation_of_id: Mapped[uuid.UUID | None]
    source_key: Mapped[str | None] = mapped_column(String(64))  # the starter answer it was adopted from
    # Counters: how often it was shown, and how often it answered the question without a request.
    view_count: Mapped[int] = mapped_column(default=0)
    helpful_count: Mapped[int] = mapped_column(default=0)
    used_by_agents_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_user_id: Mapped[uuid.UUID | None]

    def linked_to(self, category_id: uuid.UUID | str | None) -> bool:
        return category_id is not None and str(category_id) in (self.category_ids or [])
