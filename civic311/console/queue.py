"""The staff queue: filters, SLA states computed from the clock, and keyset paging on (due_at, id).

Paging by keyset rather than OFFSET keeps page 500 as cheap as page 1 on a city with 100,000 open
requests: each page starts where the last one ended, walking the `ix_sr_queue` index.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime

from sqlalchemy import false, literal, or_, select, tuple_

from civic311.accounts.access import CityAccess
from civic311.db import db, utcnow
from civic311.platform.models import OPEN_STATUSES, STATUSES, ServiceRequest

PAGE_SIZE = 50
SLA_FILTERS = ("at_risk", "breached", "on_track")


@dataclass
class QueueFilter:
    """What the queue shows. Every field is a plain string, as it arrives in the query string."""

    status: str = "open"  # open, or one status, or "all"
    department: str = ""
    assignee: str = ""  # "", "me", "none", or a user id
    sla: str = ""  # "", at_risk, breached, on_track
    category: str = ""
    zone: str = ""
    channel: str = ""

    @classmethod
    def from_args(cls, args) -> QueueFilter:
        return cls(**{f.name: (args.get(f.name) or getattr(cls, f.name)).strip() for f in fields(cls)})

    def as_args(self) -> dict[str, str]:
        """Only what differs from the defaults, for links and saved views."""
        default = QueueFilter()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}


@dataclass
class QueuePage:
    rows: list[ServiceRequest]
    next_cursor: str | None


def encode_cursor(req: ServiceRequest) -> str:
    raw = json.dumps([req.due_at.isoformat() if req.due_at else None, str(req.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime | None, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, ident = json.loads(raw)
        return (datetime.fromisoformat(due) if due else None), uuid.UUID(ident)
    except (ValueError, TypeError):
        return None  # a tampered cursor starts from the first page


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def statuses_for(filters: QueueFilter) -> tuple[str, ...]:
    if filters.status == "all":
        return STATUSES
    if filters.status in STATUSES:
        return (filters.status,)
    return OPEN_STATUSES


def filtered(filters: QueueFilter, access: CityAccess, user_id: uuid.UUID, now: datetime | None = None):
    """The SELECT for a queue, without the status (see `page`), with the viewer's department limits
    applied (never optional)."""
    now = now or utcnow()
    stmt = select(ServiceRequest)
    if access.role == "staff" and access.department_ids:
        stmt = stmt.where(ServiceRequest.department_id.in_([uuid.UUID(d) for d in access.department_ids]))
    for value, column in ((filters.department, ServiceRequest.department_id),
                          (filters.category, ServiceRequest.category_id),
                          (filters.zone, ServiceRequest.zone_id)):
        if value:
            # A malformed id matches nothing (comparing with None would mean "IS NULL": every request
            # without a zone, say).
            ident = _uuid_or_none(value)
            stmt = stmt.where(column == ident if ident is not None else false())
    if filters.assignee == "me":
        stmt = stmt.where(ServiceRequest.assignee_user_id == user_id)
    elif filters.assignee == "none":
        stmt = stmt.where(ServiceRequest.assignee_user_id.is_(None))
    elif filters.assignee:
        ident = _uuid_or_none(filters.assignee)
        stmt = stmt.where(ServiceRequest.assignee_user_id == ident if ident is not None else false())
    if filters.channel:
        stmt = stmt.where(ServiceRequest.channel == filters.channel)
    # SLA states from the clock, not the stored sla_state, which the sweep refreshes only periodically.
    if filters.sla == "breached":
        stmt = stmt.where(ServiceRequest.due_at <= now)
    elif filters.sla == "at_risk":
        stmt = stmt.where(ServiceRequest.due_at > now, ServiceRequest.at_risk_at <= now)
    elif filters.sla == "on_track":
        stmt = stmt.where(or_(ServiceRequest.at_risk_at.is_(None), ServiceRequest.at_risk_at > now))
    return stmt


def _sort_key(req: ServiceRequest) -> tuple:
    return (req.due_at is None, req.due_at or datetime.min.replace(tzinfo=UTC), req.id)


def page(filters: QueueFilter, access: CityAccess, user_id: uuid.UUID, cursor: str | None = None,
         size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue, soonest due first (requests without a due date last).

    One query per status, each an index range scan on ix_sr_queue (tenant, status, due_at, id) that
    starts after the cursor and stops after `size + 1` rows; the few rows are merged here. A single
    `status IN (...)` query would make PostgreSQL sort every open request for each page.
    """
    base = filtered(filters, access, user_id)
    after = decode_cursor(cursor)
    rows: list[ServiceRequest] = []
    if after is None or after[0] is not None:
        for status in statuses_for(filters):
            stmt = base.where(ServiceRequest.status == status, ServiceRequest.due_at.is_not(None))
            if after is not None:
                stmt = stmt.where(tuple_(ServiceRequest.due_at, ServiceRequest.id) > tuple_(
                    literal(after[0], ServiceRequest.due_at.type), literal(after[1], ServiceRequest.id.type)))
            rows += db.session.scalars(stmt.order_by(ServiceRequest.due_at, ServiceRequest.id).limit(size + 1))
        rows = sorted(rows, key=_sort_key)[: size + 1]
    if len(rows) <= size:  # the requests with no due date come after every dated one
        undated: list[ServiceRequest] = []
        for status in statuses_for(filters):
            stmt = base.where(ServiceRequest.status == status, ServiceRequest.due_at.is_(None))
            if after is not None and after[0] is None:
                stmt = stmt.where(ServiceRequest.id > after[1])
            undated += db.session.scalars(stmt.order_by(ServiceRequest.id).limit(size + 1 - len(rows)))
        rows += sorted(undated, key=_sort_key)[: size + 1 - len(rows)]
    more = len(rows) > size
    rows = rows[:size]
    return QueuePage(rows, encode_cursor(rows[-1]) if more and rows else None)


def sla_state_now(req: ServiceRequest, now: datetime | None = None) -> str:
    """on_track, at_risk or breached for an open request; met or missed for a closed one."""
    now = now or utcnow()
    if req.closed_at is not None:
        return "missed" if req.due_at and req.closed_at > req.due_at else "met"
    if req.due_at and req.due_at <= now:
        return "breached"
    if req.at_risk_at and req.at_risk_at <= now:
        return "at_risk"
    return "on_track"
