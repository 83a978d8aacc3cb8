"""Tenants (cities) and their domains: the rows that say which city a request belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic311.db import GlobalModel, db, utcnow

TENANT_STATUSES = ("trial", "active", "past_due", "suspended", "canceled")

DEFAULT_WORKING_HOURS = {
    # ISO weekday (1 = Monday) -> [start, end] in the city's local time; absent days are closed.
    "1": ["08:00", "17:00"],
    "2": ["08:00", "17:00"],
    "3": ["08:00", "17:00"],
    "4": ["08:00", "17:00"],
    "5": ["08:00", "17:00"],
}


class Tenant(GlobalModel, db.Model):
    """A city. Platform-wide: it is what every tenant-owned row points at."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="trial")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    locales: Mapped[list] = mapped_column(default=lambda: ["en", "es"])
    default_locale: Mapped[str] = mapped_column(String(8), default="en")
    tracking_prefix: Mapped[str] = mapped_column(String(6))

    # Branding: what residents see.
    display_name: Mapped[str | None] = mapped_column(String(120))
    logo_key: Mapped[str | None] = mapped_column(String(255))
    primary_color: Mapped[str] = mapped_column(String(7), default="#1f4e79")
    accent_color: Mapped[str] = mapped_column(String(7), default="#c75b12")
    welcome_text: Mapped[dict] = mapped_column(default=dict)  # locale -> text
    phone: Mapped[str | None] = mapped_column(String(40))
    hours_text: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    map_center: Mapped[list] = mapped_column(default=lambda: [39.7817, -89.6501])  # lat, lng
    tile_url: Mapped[str | None] = mapped_column(String(300))  # a Leaflet template: https://…/{z}/{x}/{y}.png
    tile_attribution: Mapped[str | None] = mapped_column(String(300))  # plain text, shown with the tiles

    # Operations.
    working_hours: Mapped[dict] = mapped_column(default=lambda: dict(DEFAULT_WORKING_HOURS))
    holiday_country: Mapped[str | None] = mapped_column(String(8), default="US")
    reopen_window_days: Mapped[int] = mapped_column(default=30)
    duplicate_radius_m: Mapped[int] = mapped_column(default=50)
    duplicate_window_days: Mapped[int] = mapped_column(default=30)
    escalation_policy: Mapped[dict] = mapped_column(default=dict)
    channels: Mapped[dict] = mapped_column(default=lambda: {"portal": True, "api": True, "agent": True})
    inbound_email: Mapped[str | None] = mapped_column(String(200))
    inbound_sms: Mapped[str | None] = mapped_column(String(40))
    feature_flags: Mapped[dict] = mapped_column(default=dict)
    support_access_until: Mapped[datetime | None]
    setup_state: Mapped[dict] = mapped_column(default=dict)
    live_at: Mapped[datetime | None]

    # Billing (the subscription lives in Stripe; these mirror what its webhooks told us).
    plan_code: Mapped[str | None] = mapped_column(String(32))
    billing_email: Mapped[str | None] = mapped_column(String(200))
    trial_ends_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_reason: Mapped[str | None] = mapped_column(Text)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64))
    canceled_at: Mapped[datetime | None]

    domains: Mapped[list[TenantDomain]] = relationship(back_populates="tenant", cascade="all, delete-orphan")

    @property
    def title(self) -> str:
        return self.display_name or self.name

    def welcome(self, locale: str) -> str:
        return self.welcome_text.get(locale) or self.welcome_text.get(self.default_locale) or ""

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class TenantDomain(GlobalModel, db.Model):
    """A custom domain of a city. Read before any tenant is known (it is how a host finds its
    tenant), so it is platform-wide rather than row-level-secured."""

    __tablename__ = "tenant_domains"
    __table_args__ = (UniqueConstraint("hostname"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    hostname: Mapped[str] = mapped_column(String(253))
    verification_token: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_check_error: Mapped[str | None] = mapped_column(Text)

    tenant: Mapped[Tenant] = relationship(back_populates="domains")

