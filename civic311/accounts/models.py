"""People: global identities, their roles in cities, operator organizations and their contracts."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic311.db import GlobalModel, db
from civic311.tenancy import TenantScoped

CITY_ROLES = ("admin", "supervisor", "staff", "agent")


class OperatorOrg(GlobalModel, db.Model):
    """An outsourced contact center whose agents serve the cities that contract it."""

    __tablename__ = "operator_orgs"

    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    logo_key: Mapped[str | None] = mapped_column(String(255))


class User(GlobalModel, UserMixin, db.Model):
    """A staff, operator or platform identity: one login, whatever cities it works in."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    is_active_flag: Mapped[bool] = mapped_column(default=True)
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    operator_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operator_orgs.id"), index=True)
    operator_role: Mapped[str | None] = mapped_column(String(16))  # "admin" or "agent"
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]  # refuses a code replayed within its 30 s window
    email_verified_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    session_epoch: Mapped[int] = mapped_column(default=0)  # bump to sign out every session

    operator_org: Mapped[OperatorOrg | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_flag

    def get_id(self) -> str:
        # Flask-Login id: kind, id and epoch (bumping the epoch signs out every session of this user).
        return f"u:{self.id}:{self.session_epoch}"

    @property
    def needs_totp(self) -> bool:
        """2FA is required for anyone whose reach spans cities."""
        return self.is_platform_admin or self.operator_org_id is not None


class Membership(TenantScoped, db.Model):
    """A user's role in one city; staff may be limited to some departments."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    department_ids: Mapped[list] = mapped_column(default=list)  # empty: every department
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class OperatorContract(TenantScoped, db.Model):
    """A city's grant of access to an operator organization; revoking it cuts access at once."""

    __tablename__ = "operator_contracts"
    __table_args__ = (UniqueConstraint("tenant_id", "operator_org_id"),)

    operator_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator_orgs.id"), index=True)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    phone_line: Mapped[str | None] = mapped_column(String(40))  # the city's line the operator answers
    script: Mapped[str | None] = mapped_column(String(2000))  # greeting read to callers
    revoked_at: Mapped[datetime | None]

    operator_org: Mapped[OperatorOrg] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ResidentAccount(TenantScoped, UserMixin, db.Model):
    """An optional resident login, per city."""

    __tablename__ = "resident_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    notify_email: Mapped[bool] = mapped_column(default=True)
    notify_sms: Mapped[bool] = mapped_column(default=False)
    email_verified_at: Mapped[datetime | None]
    session_epoch: Mapped[int] = mapped_column(default=0)

    def get_id(self) -> str:
        return f"r:{self.id}:{self.session_epoch}"
