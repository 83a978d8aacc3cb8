"""Service requests and everything that hangs off one: history, followers, photos, surveys, tokens,
and the outbox that carries side effects past a commit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic311.db import db, utcnow
from civic311.tenancy import TenantScoped, tenant_fk

STATUSES = ("new", "acknowledged", "in_progress", "closed")
OPEN_STATUSES = ("new", "acknowledged", "in_progress")
CLOSE_REASONS = ("resolved", "duplicate", "referred", "not_actionable", "no_access", "withdrawn")
SLA_STATES = ("on_track", "at_risk", "breached", "met", "missed")


class ServiceRequest(TenantScoped, db.Model):
    """One report from a resident, whatever channel it came through."""

    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        tenant_fk(["category_id"], "categories"),
        tenant_fk(["department_id"], "departments"),
        tenant_fk(["zone_id"], "zones"),
        tenant_fk(["duplicate_of_id"], "service_requests"),
        tenant_fk(["routing_rule_id"], "routing_rules"),
        # Keyset paging for the API and the queues: (tenant, time, id) walks deep pages cheaply.
        Index("ix_sr_requested", "tenant_id", "requested_at", "id"),
        Index("ix_sr_updated", "tenant_id", "updated_at", "id"),
        Index("ix_sr_queue", "tenant_id", "status", "due_at", "id"),
        Index("ix_sr_category", "tenant_id", "category_id", "status"),
        Index("ix_sr_location", "tenant_id", "lat", "lng"),
    )
    number: Mapped[str] = mapped_column(String(24))  # SPR-26-004213: read aloud on the phone
    sequence: Mapped[int]
    category_id: Mapped[uuid.UUID]
    # Snapshots: changing the catalog later never rewrites what this request was filed as.
    service_code: Mapped[str] = mapped_column(String(64))
    service_name: Mapped[str] = mapped_column(String(120))
    answers: Mapped[list] = mapped_column(default=list)  # [{"code","question","datatype","value","label"}]
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    detailed_status: Mapped[str | None] = mapped_column(String(32))  # Open311 extended status
    close_reason: Mapped[str | None] = mapped_column(String(24))
    close_note: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[uuid.UUID | None]
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    tags: Mapped[list] = mapped_column(default=list)

    lat: Mapped[float | None]
    lng: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(String(300))
    address_id: Mapped[str | None] = mapped_column(String(64))
    zipcode: Mapped[str | None] = mapped_column(String(16))
    zone_id: Mapped[uuid.UUID | None]

    anonymous: Mapped[bool] = mapped_column(default=False)
    reporter_name: Mapped[str | None] = mapped_column(String(120))
    reporter_email: Mapped[str | None] = mapped_column(String(254), index=True)
    reporter_phone: Mapped[str | None] = mapped_column(String(40), index=True)
    reporter_locale: Mapped[str] = mapped_column(String(8), default="en")
    resident_account_id: Mapped[uuid.UUID | None]
    device_id: Mapped[str | None] = mapped_column(String(120))
    external_account_id: Mapped[str | None] = mapped_column(String(120))
    external_id: Mapped[str | None] = mapped_column(String(64))  # id in an older system it came from
    media_urls: Mapped[list] = mapped_column(default=list)  # links a client sent instead of files

    department_id: Mapped[uuid.UUID | None]
    assignee_user_id: Mapped[uuid.UUID | None]
    routing_rule_id: Mapped[uuid.UUID | None]
    routing_explanation: Mapped[list] = mapped_column(default=list)

    created_by_user_id: Mapped[uuid.UUID | None]
    operator_org_id: Mapped[uuid.UUID | None]

    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    at_risk_at: Mapped[datetime | None]
    sla_state: Mapped[str] = mapped_column(String(12), default="on_track")
    escalation_level: Mapped[int] = mapped_column(default=0)
    reopened_count: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    category = relationship("Category", overlaps="department,zone,duplicate_of,routing_rule")
    department = relationship("Department", overlaps="category,zone,duplicate_of,routing_rule")
    zone = relationship("Zone", overlaps="category,department,duplicate_of,routing_rule")
    routing_rule = relationship("RoutingRule", overlaps="category,department,zone,duplicate_of")
    duplicate_of = relationship(
        "ServiceRequest", remote_side="ServiceRequest.id", overlaps="category,department,zone,routing_rule"
    )
    history: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.at", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="request", order_by="Attachment.created_at", overlaps="history"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status != "closed"


class RequestEvent(TenantScoped, db.Model):
    """One entry of a request's history: who did what, when, from which channel."""

    __tablename__ = "request_events"
    __table_args__ = (
        tenant_fk(["request_id"], "service_requests", ondelete="CASCADE"),
        Index("ix_request_events_request", "tenant_id", "request_id", "at"),
        Index("ix_request_events_at", "tenant_id", "at", "id"),
        UniqueConstraint("tenant_id", "external_update_id"),
    )

    request_id: Mapped[uuid.UUID]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # submitted, acknowledged, status, assigned, public_reply, internal_note, closed, reopened,
    # merged, recategorized, moved, routed, escalated, follow_on_created, imported
    kind: Mapped[str] = mapped_column(String(24))
    public: Mapped[bool] = mapped_column(default=False)
    actor_user_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    operator_org_id: Mapped[uuid.UUID | None]
    channel: Mapped[str | None] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detailed_status: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(default=dict)
    external_update_id: Mapped[str | None] = mapped_column(String(64))

    request: Mapped[ServiceRequest] = relationship(back_populates="history")


class Follower(TenantScoped, db.Model):
    """Someone told about a request's progress: the reporter, or anyone who chose to follow it."""

    __tablename__ = "followers"
    __table_args__ = (
        tenant_fk(["request_id"], "service_requests", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "request_id", "email"),
    )

    request_id: Mapped[uuid.UUID]
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    is_reporter: Mapped[bool] = mapped_column(default=False)
    unsubscribed_at: Mapped[datetime | None]

    # Declared so that one flush writes the request before its followers (the unit of work orders
    # tables by relationships, not by foreign keys alone).
    request: Mapped[ServiceRequest] = relationship()


class Attachment(TenantScoped, db.Model):
    """A photo, checked by content and stripped of EXIF before it is stored."""

    __tablename__ = "attachments"
    __table_args__ = (
        tenant_fk(["request_id"], "service_requests", ondelete="CASCADE"),
        Index("ix_attachments_request", "tenant_id", "request_id", "created_at"),
    )

    request_id: Mapped[uuid.UUID | None]
    event_id: Mapped[uuid.UUID | None]
    storage_key: Mapped[str] = mapped_column(String(255))
    thumb_key: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    original_name: Mapped[str | None] = mapped_column(String(255))
    public: Mapped[bool] = mapped_column(default=True)

    request: Mapped[ServiceRequest | None] = relationship(back_populates="attachments", overlaps="history")


class SurveyResponse(TenantScoped, db.Model):
    """The survey after closure: one per request, reached by a token."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        tenant_fk(["request_id"], "service_requests", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "request_id"),
        UniqueConstraint("tenant_id", "token_hash"),
    )

    request_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(String(64))
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]


class SubmissionToken(TenantScoped, db.Model):
    """Open311 `token` for batch services: handed out at once, resolves to the request id."""

    __tablename__ = "submission_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token"),
        tenant_fk(["request_id"], "service_requests", ondelete="CASCADE"),
    )

    token: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[uuid.UUID | None]

    request: Mapped[ServiceRequest | None] = relationship()  # orders the flush, as Follower.request


class OutboxMessage(TenantScoped, db.Model):
    """A side effect written in the same transaction as the change that caused it.

    A job is enqueued after commit; the periodic sweep delivers any row a lost job left behind.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_outbox_pending", "status", "available_at"),
    )

    kind: Mapped[str] = mapped_column(String(40))  # notify, thumbnail, webhook, ...
    payload: Mapped[dict] = mapped_column(default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Delivery(TenantScoped, db.Model):
    """A message actually handed to a mail or SMS provider; the unique key makes a send happen once."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("tenant_id", "dedupe_key"),)

    dedupe_key: Mapped[str] = mapped_column(String(240))
    channel: Mapped[str] = mapped_column(String(8))  # email, sms
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(12), default="sending")  # sending, sent, failed
    provider_id: Mapped[str | None] = mapped_column(String(120))
    sent_at: Mapped[datetime | None]
