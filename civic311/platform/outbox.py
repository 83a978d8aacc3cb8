"""The transactional outbox: side effects recorded with the change, delivered after commit.

`add()` writes a row in the caller's transaction and asks for a delivery job after commit. If that job
is lost (Redis down, worker killed), `sweep()` — a periodic job — delivers whatever is still pending.
Handlers are idempotent; a row is marked done only after its handler returns.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select

from civic311.db import db, new_id, utcnow
from civic311.jobs import enqueue_after_commit, resolve
from civic311.platform.models import OutboxMessage
from civic311.platform.row_writer import insert_new
from civic311.tenancy import all_tenants, tenant_context

log = logging.getLogger("civic311.outbox")

# kind -> dotted path of handler(tenant_id, payload). Registered by the engines that own each kind.
HANDLERS: dict[str, str] = {
    "notify": "civic311.platform.notifications.deliver:handle_outbox",
    "thumbnail": "civic311.platform.attachments:make_thumbnail",
}
QUEUE_FOR_KIND = {"notify": "notifications", "thumbnail": "media"}
MAX_ATTEMPTS = 8


def add(kind: str, payload: dict, dedupe_key: str, *, fresh: bool = False) -> OutboxMessage | None:
    """Record a side effect in the current transaction (once per dedupe_key).

    `fresh=True` says the key cannot exist yet (it names a row this transaction just created, such as
    `notify:<new event id>`), which saves the lookup; the table's unique key still guards it. Such a row
    is inserted at once, without the unit of work (`row_writer`); otherwise it is written with the
    caller's next flush."""
    if fresh:
        message = new_message(kind, payload, dedupe_key)
        insert_new(message)
        return message
    existing = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    message = new_message(kind, payload, dedupe_key)
    db.session.add(message)
    return message


def new_message(kind: str, payload: dict, dedupe_key: str) -> OutboxMessage:
    """An outbox row not yet written, and its delivery job asked for after commit. For a caller that
    writes it together with other new rows (`row_writer.insert_new`), in the same transaction: if that
    transaction rolls back, the job request goes with it."""
    message = OutboxMessage(id=new_id(), kind=kind, payload=payload, dedupe_key=dedupe_key)
    enqueue_after_commit(
        "civic311.platform.outbox:deliver", message.tenant_id, str(message.id),
        queue=QUEUE_FOR_KIND.get(kind, "default"), job_id=f"outbox-{message.id}",
    )
    return message


def deliver(tenant_id: uuid.UUID, message_id: str) -> str:
    """Job: run the handler for one outbox row. Safe to run twice."""
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == uuid.UUID(message_id)).with_for_update(skip_locked=True)
    )
    if message is None or message.status == "done":
        return "skipped"
    handler = resolve(HANDLERS[message.kind])
    message.attempts += 1
    try:
        handler(tenant_id, message.payload)
    except Exception as exc:
        db.session.rollback()
        _record_failure(message_id, exc)
        raise
    message.status = "done"
    message.processed_at = utcnow()
    message.last_error = None
    return "done"


def _record_failure(message_id: str, exc: Exception) -> None:
    message = db.session.get(OutboxMessage, (_tenant(), uuid.UUID(message_id)))
    if message is None:
        return
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    backoff = min(2 ** message.attempts, 3600)
    message.available_at = utcnow() + timedelta(seconds=backoff)
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
    db.session.commit()


def _tenant() -> uuid.UUID:
    from civic311.tenancy import current_tenant_id

    return current_tenant_id()


def pending_by_tenant(limit: int = 500) -> list[tuple[uuid.UUID, uuid.UUID]]:
    with all_tenants(reason="outbox sweep: find undelivered side effects"):
        rows = db.session.execute(
            select(OutboxMessage.tenant_id, OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.available_at <= utcnow())
            .order_by(OutboxMessage.available_at)
            .limit(limit)
        ).all()
    return [(r[0], r[1]) for r in rows]


def sweep(_tenant_id: None = None, older_than_seconds: int = 30) -> int:
    """Periodic job: deliver rows whose job never ran. Returns how many were delivered."""
    delivered = 0
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    for tenant_id, message_id in pending_by_tenant():
        with tenant_context(tenant_id):
            message = db.session.get(OutboxMessage, (tenant_id, message_id))
            if message is None or message.status != "pending" or message.created_at > cutoff:
                continue
            try:
                if deliver(tenant_id, str(message_id)) == "done":
                    delivered += 1
                db.session.commit()
            except Exception:
                log.exception("outbox %s failed again; will retry later", message_id)
    return delivered
