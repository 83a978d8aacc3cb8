"""Rows written without the unit of work (`row_writer.insert_new`, intake's write path) read back
exactly as a flush would have written them, stay ordinary model objects afterwards, and keep every
tenant guard: the flush's stamp-and-refuse and, on PostgreSQL, row-level security."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, LargeBinary, MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError

from civic311.db import db, new_id
from civic311.platform import row_writer
from civic311.platform.models import OutboxMessage, RequestEvent, ServiceRequest, SubmissionToken
from civic311.platform.row_writer import insert_new
from civic311.tenancy import TenantMismatch, tenant_context
from civic311.tenants.catalog import Category
from tests.conftest import BACKEND
from tests.engines.helpers import pothole_category

CHICAGO = ZoneInfo("America/Chicago")


def _request_values(category, **overrides) -> dict:
    values = {
        "number": "ALP-26-000001", "sequence": 1, "category_id": category.id, "service_code": "pothole",
        "service_name": "Pothole", "channel": "api",
        "description": 'Bache — calle 5, "ñ" \\ <b>not a tag</b> 😀',
        "answers": [{"code": "size", "value": ["s", "xl"], "label": "Small, Huge", "n": 2.5, "ok": True}],
        "tags": ["ward2", "ñ"], "lat": 39.781734567891234, "lng": -89.65012345678912,
        "reporter_email": "rosa@example.com", "reporter_locale": "es",
        "requested_at": datetime(2026, 12, 24, 17, 30, 15, 123456, tzinfo=CHICAGO),
        "updated_at": datetime(2026, 12, 24, 23, 30, 15, 123456, tzinfo=UTC),
        "due_at": datetime(2026, 12, 29, 17, 0, tzinfo=CHICAGO), "department_id": category.department_id,
        "routing_explanation": [{"rule": None, "why": "the category's department"}],
    }
    values.update(overrides)
    return values


def _columns(obj) -> dict:
    return {c.key: getattr(obj, c.key) for c in inspect(type(obj)).column_attrs}


def test_a_row_reads_back_as_the_flush_would_have_written_it(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        category = pothole_category()
        by_flush = ServiceRequest(id=new_id(), **_request_values(category))
        db.session.add(by_flush)
        db.session.flush()
        by_writer = ServiceRequest(id=new_id(), **_request_values(category, number="ALP-26-000002", sequence=2))
        insert_new(by_writer)
        db.session.commit()
        ids = (by_flush.id, by_writer.id)
        db.session.expunge_all()
        flushed, written = (db.session.scalar(select(ServiceRequest).where(ServiceRequest.id == i)) for i in ids)
        first, second = _columns(flushed), _columns(written)
    for key in ("id", "number", "sequence", "created_at"):
        first.pop(key), second.pop(key)
    assert second == first
    assert second["requested_at"] == datetime(2026, 12, 24, 23, 30, 15, 123456, tzinfo=UTC)
    assert second["status"] == "new" and second["version"] == 1 and second["media_urls"] == []


def test_the_object_stays_an_ordinary_model_object(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        category = pothole_category()
        req = ServiceRequest(id=new_id(), **_request_values(category))
        event = RequestEvent(id=new_id(), request_id=req.id, at=req.requested_at, kind="submitted",
                             public=True, to_status="new", message="", data={"routing": []})
        insert_new(req, event)
        # Defaults were applied to the objects, so reading them needs no query.
        assert inspect(req).persistent and req.status == "new" and req.priority == "normal"
        assert event.tenant_id == a.id and event.actor_label == ""
        req.priority = "high"  # an ordinary UPDATE, with the version check of the mapper
        db.session.commit()
        assert db.session.scalar(select(ServiceRequest.version).where(ServiceRequest.id == req.id)) == 2
        assert [e.kind for e in req.history] == ["submitted"]


def test_another_citys_row_is_refused_and_nothing_is_written(app, two_tenants):
    a, b = two_tenants
    with tenant_context(a.id):
        category = pothole_category()
        db.session.commit()
        req = ServiceRequest(id=new_id(), tenant_id=b.id, **_request_values(category))
        event = RequestEvent(id=new_id(), request_id=req.id, at=req.requested_at, kind="submitted")
        with pytest.raises(TenantMismatch):
            insert_new(event, req)  # city A's event first: refused as a whole, not row by row
        assert req not in db.session and event not in db.session
    with tenant_context(b.id):
        # Same transaction, still usable: nothing of either row was sent.
        assert db.session.scalar(select(ServiceRequest.id).where(ServiceRequest.id == req.id)) is None
    with tenant_context(a.id):
        assert db.session.scalar(select(RequestEvent.id).where(RequestEvent.id == event.id)) is None


@pytest.mark.skipif(BACKEND != "postgres", reason="row-level security is PostgreSQL's")
def test_row_level_security_checks_these_rows_too(app, two_tenants, monkeypatch):
    a, b = two_tenants
    monkeypatch.setattr(row_writer, "guard_rows_written_without_flush", lambda session, objects: None)
    with tenant_context(a.id):
        db.session.connection()  # the transaction starts as city A, and hands A to row-level security
        message = OutboxMessage(id=new_id(), tenant_id=b.id, kind="notify", payload={}, dedupe_key="x")
        with pytest.raises(DBAPIError, match="row-level security"):
            insert_new(message)
        db.session.rollback()


def test_a_rolled_back_transaction_keeps_neither_rows_nor_jobs(app, two_tenants):
    from civic311.platform import outbox

    a, _ = two_tenants
    with tenant_context(a.id):
        category = pothole_category()
        db.session.commit()
        req = ServiceRequest(id=new_id(), **_request_values(category))
        message = outbox.new_message("notify", {"request_id": str(req.id)}, dedupe_key="notify:rollback")
        insert_new(req, message)
        assert db.session.info.get("pending_jobs")
        db.session.rollback()
        assert not db.session.info.get("pending_jobs")
        assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "notify:rollback")) is None
        assert db.session.scalar(select(ServiceRequest.id).where(ServiceRequest.id == req.id)) is None
        # As after a flush's INSERT: the object leaves the session with what it held, readable.
        assert inspect(req).transient and req.number == "ALP-26-000001"


def test_naive_times_and_unsendable_types_are_refused():
    with pytest.raises(ValueError, match="naive"):
        row_writer._json_value(datetime(2026, 1, 1))
    table = Table("blobs", MetaData(), Column("id", LargeBinary, primary_key=True))
    with pytest.raises(TypeError, match="blobs.id"):
        row_writer._check_json_safe(table)


def test_none_in_a_json_column_is_written_as_json_null_like_a_flush(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        category = pothole_category()
        req = ServiceRequest(id=new_id(), **_request_values(category))
        insert_new(req)
        by_writer = RequestEvent(id=new_id(), request_id=req.id, at=req.requested_at, kind="note", data=None)
        insert_new(by_writer)
        by_flush = RequestEvent(id=new_id(), request_id=req.id, at=req.requested_at, kind="note", data=None)
        db.session.add(by_flush)
        db.session.commit()
        request_id = req.id.hex if BACKEND == "sqlite" else req.id  # SQLite keeps a Uuid as its hex
        null_data = db.session.execute(
            text("SELECT id, data IS NULL FROM request_events WHERE request_id = :r"), {"r": request_id}).all()
    assert len(null_data) == 2 and not any(is_null for _, is_null in null_data)  # JSON null, not SQL NULL


def test_models_it_must_not_write_are_refused(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        category = pothole_category()
        db.session.commit()
        with pytest.raises(TypeError, match="catalog model"):
            insert_new(Category(service_code="graffiti", name="Graffiti"))
        req = ServiceRequest(id=new_id(), **_request_values(category))
        with pytest.raises(TypeError, match="SubmissionToken.request is set"):  # a flush would copy its key
            insert_new(SubmissionToken(token="t0k3n", request=req))


@pytest.mark.skipif(BACKEND != "postgres", reason="the one-statement path is PostgreSQL's")
def test_a_column_the_model_does_not_know_keeps_its_database_default(app, two_tenants):
    """A migration that adds a column runs before the code that knows it is deployed."""
    owner = create_engine(app.config["CIVIC311"].migration_database_url.replace("postgresql://",
                                                                                 "postgresql+psycopg://", 1))
    a, _ = two_tenants
    with owner.begin() as conn:
        conn.execute(text("ALTER TABLE outbox ADD COLUMN added_later text NOT NULL DEFAULT 'kept'"))
    try:
        with tenant_context(a.id):
            message = OutboxMessage(id=new_id(), kind="notify", payload={}, dedupe_key="later")
            insert_new(message)
            message_id = message.id
            db.session.commit()
        with owner.connect() as conn:
            assert conn.execute(text("SELECT added_later FROM outbox WHERE id = :i"), {"i": message_id}).scalar() \
                == "kept"
    finally:
        db.session.remove()
        with owner.begin() as conn:
            conn.execute(text("ALTER TABLE outbox DROP COLUMN added_later"))
        owner.dispose()

