"""The console's own rows: standard responses, saved queue views, and the agent desk's contacts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import db, utcnow
from civic311.tenancy import TenantScoped

AGENT_CHANNELS = ("phone", "walk_in", "email")


class StandardResponse(TenantScoped, db.Model):
    """A city's reply template, with placeholders such as {tracking_number} and {expected_date}."""

    __tablename__ = "standard_responses"
    __table_args__ = (UniqueConstraint("tenant_id", "title", "locale"),)

    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SavedView(TenantScoped, db.Model):
    """One person's named queue filter ("My ward, breached"), kept per city."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict] = mapped_column(default=dict)  # the queue's query arguments


class Contact(TenantScoped, db.Model):
    """A call, visit or e-mail an agent handled. Information-only contacts have no request; contacts
    are counted per channel, agent and operator organization for cost reporting."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_at", "tenant_id", "created_at"),
        Index("ix_contacts_caller_phone", "tenant_id", "caller_phone"),
    )

    channel: Mapped[str] = mapped_column(String(16))
    # information, request_filed, added_to_existing
    outcome: Mapped[str] = mapped_column(String(20), default="information")
    agent_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    operator_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operator_orgs.id"), index=True)
    kb_article_id: Mapped[uuid.UUID | None]
    request_id: Mapped[uuid.UUID | None]
    caller_phone: Mapped[str | None] = mapped_column(String(40))
    caller_email: Mapped[str | None] = mapped_column(String(254))
    note: Mapped[str] = mapped_column(Text, default="")
