"""What billing keeps: Stripe events (once each, by id), usage reported to Stripe, notices sent.

The subscription itself lives in Stripe; the tenant row mirrors its status and plan.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from civic311.accounts.models import Membership
from civic311.db import GlobalModel, db
from civic311.tenancy import TenantScoped

EVENT_STATUSES = ("received", "processed", "ignored", "failed")


class StripeEvent(GlobalModel, db.Model):
    """A webhook event, stored once by its Stripe id before any processing (platform-wide: an event may
    arrive before we know which city it concerns)."""

    __tablename__ = "stripe_events"
    __table_args__ = (Index("ix_stripe_events_status_created", "status", "created_at"),)

    stripe_id: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    event_created: Mapped[datetime]  # when Stripe made it (events may arrive out of order)
    payload: Mapped[dict] = mapped_column(default=dict)
    # Platform-wide rows name their city as subject_tenant_id (as platform_audit_events do): they are not
    # tenant-owned, and tests/test_schema.py keeps plain `tenant_id` for tenant-scoped tables.
    subject_tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"),
                                                                index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]


class UsageReport(TenantScoped, db.Model):
    """One day's request count sent to Stripe's Billing Meter; the identifier makes a resend harmless."""

    __tablename__ = "billing_usage_reports"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    day: Mapped[date]
    requests: Mapped[int]
    identifier: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[datetime | None]


class BillingNotice(GlobalModel, db.Model):
    """An e-mail about a city's account (payment failed, deletion coming), sent once per kind."""

    __tablename__ = "billing_notices"
    __table_args__ = (UniqueConstraint("subject_tenant_id", "kind"),)

    subject_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(80))
    sent_to: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))


# Seats follow staff: any change to a membership asks for the subscription quantity to be synced after
# commit, whoever made the change (the settings pages, the CLI, an invitation).
@event.listens_for(Membership, "after_insert")
@event.listens_for(Membership, "after_update")
@event.listens_for(Membership, "after_delete")
def _membership_changed(mapper, connection, target: Membership) -> None:
    from civic311.jobs import JobSpec

    session = object_session(target)  # the session flushing this row, whichever it is
    if session is None:
        return
    asked: set = session.info.setdefault("seat_sync_asked", set())
    if target.tenant_id in asked:
        return
    asked.add(target.tenant_id)
    session.info.setdefault("pending_jobs", []).append(
        JobSpec("civic311.billing.jobs:sync_seats", target.tenant_id, queue="billing"))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_seat_asks(session: Session) -> None:
    session.info.pop("seat_sync_asked", None)
