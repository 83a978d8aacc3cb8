"""Each city's catalog: departments, category groups, categories and their questions.

Questions are Open311 attributes: the web form, the agent's script and the API ask exactly these.

Every write to the catalog (departments, groups, categories, questions, zones, routing rules,
holidays) adds one to the city's `catalog_version` counter in the same transaction, so a per-process
cache of the catalog (`platform/catalog_cache.py`) sees a change on the very next request, in every
process, without a restart.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from civic311.db import db
from civic311.tenancy import TenantScoped, tenant_fk, tenant_id_or_none
from civic311.tenants import counters

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("portal", "api", "phone", "walk_in", "email", "sms", "import")


class Department(TenantScoped, db.Model):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    working_hours: Mapped[dict | None] = mapped_column()  # None: the city's hours
    enabled: Mapped[bool] = mapped_column(default=True)  # phases: departments go live a few at a time
    supervisor_user_id: Mapped[uuid.UUID | None]


class CategoryGroup(TenantScoped, db.Model):
    __tablename__ = "category_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    name_i18n: Mapped[dict] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)


class Category(TenantScoped, db.Model):
    """A kind of request: an Open311 service."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("tenant_id", "service_code"),
        tenant_fk(["group_id"], "category_groups"),
        tenant_fk(["department_id"], "departments"),
    )

    service_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    name_i18n: Mapped[dict] = mapped_column(default=dict)  # locale -> name
    description: Mapped[str] = mapped_column(Text, default="")
    description_i18n: Mapped[dict] = mapped_column(default=dict)
    keywords: Mapped[list] = mapped_column(default=list)
    group_id: Mapped[uuid.UUID | None]
    department_id: Mapped[uuid.UUID | None]
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    sla_value: Mapped[int] = mapped_column(default=3)
    sla_unit: Mapped[str] = mapped_column(String(16), default="business_days")  # or business_hours, days, hours
    photo_required: Mapped[bool] = mapped_column(default=False)
    location_required: Mapped[bool] = mapped_column(default=True)
    contact_required: Mapped[bool] = mapped_column(default=False)
    anonymous_allowed: Mapped[bool] = mapped_column(default=True)
    channels: Mapped[list] = mapped_column(default=lambda: list(CHANNELS))
    service_type: Mapped[str] = mapped_column(String(16), default="realtime")  # realtime, batch, blackbox
    emergency_notice: Mapped[dict] = mapped_column(default=dict)  # locale -> text
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    group: Mapped[CategoryGroup | None] = relationship(overlaps="department")
    department: Mapped[Department | None] = relationship(overlaps="group")
    questions: Mapped[list[Question]] = relationship(
        back_populates="category", order_by="Question.position", cascade="all, delete-orphan"
    )

    def label(self, locale: str) -> str:
        return self.name_i18n.get(locale) or self.name

    def sla_text(self) -> str:
        unit = self.sla_unit.replace("_", " ")
        if self.sla_value == 1:
            unit = unit.rstrip("s")
        return f"{self.sla_value} {unit}"


class Question(TenantScoped, db.Model):
    """An Open311 attribute of a category."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "category_id", "code"),
        tenant_fk(["category_id"], "categories", ondelete="CASCADE"),
    )

    category_id: Mapped[uuid.UUID]
    code: Mapped[str] = mapped_column(String(64))
    datatype: Mapped[str] = mapped_column(String(16), default="string")
    required: Mapped[bool] = mapped_column(default=False)
    variable: Mapped[bool] = mapped_column(default=True)  # false: an informational line, not a question
    position: Mapped[int] = mapped_column(default=1)
    description: Mapped[str] = mapped_column(Text)  # the question as asked
    description_i18n: Mapped[dict] = mapped_column(default=dict)
    help_text: Mapped[str] = mapped_column(Text, default="")
    help_i18n: Mapped[dict] = mapped_column(default=dict)
    values: Mapped[list] = mapped_column(default=list)  # [{"key": ..., "name": ..., "name_i18n": {...}}]

    category: Mapped[Category] = relationship(back_populates="questions")

    def prompt(self, locale: str) -> str:
        return self.description_i18n.get(locale) or self.description


class Zone(TenantScoped, db.Model):
    """A city-defined area (ward, district) from GeoJSON, used by routing and filters."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), Index("ix_zones_bbox", "tenant_id", "min_lng", "min_lat"))

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40), default="ward")
    geometry: Mapped[dict] = mapped_column()  # a GeoJSON Polygon or MultiPolygon, lng/lat
    min_lng: Mapped[float]
    min_lat: Mapped[float]
    max_lng: Mapped[float]
    max_lat: Mapped[float]


class RoutingRule(TenantScoped, db.Model):
    """An ordered rule: the first active rule whose conditions all hold decides where a request goes.

    conditions: {"category_ids": [...], "group_ids": [...], "zone_ids": [...], "keywords": [...],
                 "channels": [...], "after_hours": true|false, "hours": ["18:00", "07:00"]}
    actions:    {"department_id": ..., "priority": ..., "sla_value": n, "sla_unit": ..., "tags": [...]}
    """

    __tablename__ = "routing_rules"

    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    conditions: Mapped[dict] = mapped_column(default=dict)
    actions: Mapped[dict] = mapped_column(default=dict)


class Holiday(TenantScoped, db.Model):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    day: Mapped[str] = mapped_column(String(10))  # ISO date in the city's calendar
    name: Mapped[str] = mapped_column(String(120))


class ApiKey(TenantScoped, db.Model):
    """An Open311 key issued by a city's admins; only its hash is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "key_hash"), Index("ix_api_keys_hash", "key_hash"))

    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[uuid.UUID | None]
    rate_limit_per_minute: Mapped[int] = mapped_column(default=60)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


# --- the catalog's version ------------------------------------------------------------------------

CATALOG_VERSION = "catalog_version"
# API keys count as catalog: the Open311 views check keys against the cached snapshot, so issuing or
# revoking one must bump the version. Their use (`apikeys.touch`) is a Core update and bumps nothing.
CATALOG_MODELS = (Department, CategoryGroup, Category, Question, Zone, RoutingRule, Holiday, ApiKey)
# session.info key: tenants whose catalog this session's open transaction has changed (not committed).
CHANGED_IN_TRANSACTION = "civic311_catalog_changed"
# session.info key: the catalog snapshots this transaction has used (platform/catalog_cache.py).
SNAPSHOT_MEMO = "civic311_catalog_snapshots"


def catalog_changed_here(session: Session, tenant_id: uuid.UUID) -> bool:
    """Whether the session's open transaction wrote this city's catalog (so a shared cache must not be
    used or filled from what it reads: those rows may still roll back)."""
    return tenant_id in session.info.get(CHANGED_IN_TRANSACTION, ())


def _mark_changed(session: Session, tenant_ids: set[uuid.UUID]) -> None:
    connection = session.connection()
    for tenant_id in tenant_ids:
        counters.bump(connection, tenant_id, CATALOG_VERSION)
    session.info.setdefault(CHANGED_IN_TRANSACTION, set()).update(tenant_ids)
    session.info.pop(SNAPSHOT_MEMO, None)


@event.listens_for(Session, "after_flush")
def _bump_on_flush(session: Session, _flush_context) -> None:
    touched = {obj.tenant_id for obj in session.new if isinstance(obj, CATALOG_MODELS)}
    touched |= {obj.tenant_id for obj in session.deleted if isinstance(obj, CATALOG_MODELS)}
    touched |= {obj.tenant_id for obj in session.dirty
                if isinstance(obj, CATALOG_MODELS) and session.is_modified(obj, include_collections=False)}
    touched.discard(None)
    if touched:
        _mark_changed(session, touched)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_write(state: ORMExecuteState) -> None:
    """`session.execute(delete(Zone)...)` and other bulk writes skip the flush: count them here."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if not any(m.class_ in CATALOG_MODELS for m in state.all_mappers):
        return
    tenant_id = tenant_id_or_none()
    if tenant_id is not None:
        _mark_changed(state.session, {tenant_id})


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction committed or rolled back
        session.info.pop(CHANGED_IN_TRANSACTION, None)
        session.info.pop(SNAPSHOT_MEMO, None)
