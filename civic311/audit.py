"""The audit trail: one row for every staff write (who, which city, what, when)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import GlobalModel, db
from civic311.tenancy import TenantScoped, tenant_id_or_none


class AuditEvent(TenantScoped, db.Model):
    """Something a person did inside a city."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_tenant_created", "tenant_id", "created_at"),)

    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    operator_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operator_orgs.id"))
    support_access: Mapped[bool] = mapped_column(default=False)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(default=dict)


class PlatformAuditEvent(GlobalModel, db.Model):
    """Something a platform admin or the platform itself did across cities (suspend, extend trial)."""

    __tablename__ = "platform_audit_events"

    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    subject_tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict] = mapped_column(default=dict)


def record(action: str, *, actor=None, target=None, details: dict | None = None, actor_label: str = "") -> None:
    """Add an audit row to the current transaction: it commits with the change it describes."""
    from civic311.actor import current_actor

    who = actor or current_actor()
    row_kw = {
        "actor_user_id": who.user_id,
        "actor_label": actor_label or who.label,
        "operator_org_id": who.operator_org_id,
        "support_access": who.support_access,
        "action": action,
        "target_type": type(target).__name__ if target is not None else None,
        "target_id": str(target.id) if target is not None else None,
        "details": details or {},
    }
    if tenant_id_or_none() is None:
        row_kw.pop("operator_org_id")
        row_kw.pop("support_access")
        row_kw.pop("target_type")
        target_id = row_kw.pop("target_id")
        row_kw["details"] = {**row_kw["details"], "target_id": target_id}
        db.session.add(PlatformAuditEvent(**row_kw))
    else:
        db.session.add(AuditEvent(**row_kw))
