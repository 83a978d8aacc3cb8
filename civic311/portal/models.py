"""The portal's own rows: announcements on a city's home page, self-service deflections, and report
drafts kept between the steps of the report form (a cookie session is too small for a description)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import db, utcnow
from civic311.tenancy import TenantScoped


class Announcement(TenantScoped, db.Model):
    """A notice on the city's home page ("holiday trash schedule"), in each of the city's languages."""

    __tablename__ = "portal_announcements"
    __table_args__ = (Index("ix_portal_announcements_live", "tenant_id", "starts_at"),)

    title_i18n: Mapped[dict] = mapped_column(default=dict)  # locale -> title
    body_i18n: Mapped[dict] = mapped_column(default=dict)  # locale -> text
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None]
    position: Mapped[int] = mapped_column(default=0)

    def title(self, locale: str) -> str:
        return self.title_i18n.get(locale) or self.title_i18n.get("en") or next(iter(self.title_i18n.values()), "")

    def body(self, locale: str) -> str:
        return self.body_i18n.get(locale) or self.body_i18n.get("en") or next(iter(self.body_i18n.values()), "")


class Deflection(TenantScoped, db.Model):
    """A resident found their answer before reporting: one row per time it happened."""

    __tablename__ = "portal_deflections"
    __table_args__ = (Index("ix_portal_deflections_category", "tenant_id", "category_id", "created_at"),)

    category_id: Mapped[uuid.UUID | None]
    article_id: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="en")


class ReportDraft(TenantScoped, db.Model):
    """What a resident has answered so far in the report form; the session holds only its id."""

    __tablename__ = "portal_report_drafts"
    __table_args__ = (Index("ix_portal_report_drafts_updated", "tenant_id", "updated_at"),)

    data: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
