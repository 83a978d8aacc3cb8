"""A second yardstick: the database and Redis work one civic311 intake must do, with almost no Python.

The bare app (`intake_bare.py`) inserts one row. civic311's intake cannot do that little: the issue
asks for the request, its first history entry, its follower and its outbox row in one transaction
under row-level security, a tracking number unique in the city, the API key's rate limit, and a job
enqueued after commit. This app does exactly that work and nothing else: no ORM, no validation,
routing or SLA (the city, key and category are read once at start-up; the due date is "in two days"),
plain psycopg, redis-py and rq. Per request:

    Redis   INCR + EXPIRE of the key's rate-limit window (one pipeline, as civic311)
    SQL     BEGIN, set_config (tenant), catalog version, counter UPDATE ... RETURNING,
            the four rows in one statement (the very statement civic311 sends), COMMIT
    Redis   the outbox row's job, in MULTI/EXEC (RQ's enqueue, as civic311)

So its rate is a ceiling for any intake on this machine that keeps those guarantees, however lean its
Python. `FLOOR_SKIP` (comma-separated: rate, peek, counter, rq) leaves parts out, to show what each
costs; `FLOOR_SKIP=rate,peek,counter,rq` is the transaction alone. `run_intake.sh` runs it with nothing
skipped and with the transaction alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from flask import Flask, abort, jsonify, request
from redis import Redis
from rq import Queue, Retry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.dialects import postgresql  # noqa: E402
from sqlalchemy.orm import configure_mappers  # noqa: E402

from civic311.app import create_app  # noqa: E402
from civic311.platform.models import Follower, OutboxMessage, RequestEvent, ServiceRequest  # noqa: E402
from civic311.platform.row_writer import _one_statement  # noqa: E402  (the statement intake sends)

create_app()  # imports every model, so the foreign-key columns' types resolve; the app itself is not used
configure_mappers()

app = Flask("floor")
SKIP = set(filter(None, os.environ.get("FLOOR_SKIP", "").split(",")))
DOMAIN = "." + os.environ.get("PLATFORM_DOMAIN", "localhost")
INSERT = _one_statement(tuple(model.__table__ for model in (ServiceRequest, RequestEvent, Follower, OutboxMessage)),
                        postgresql.dialect().identifier_preparer)
ROUTED = ["No routing rule matched: the category's default department.", "Sent to Public Works."]

# The benchmark's cities, keys and pothole categories, read once as the owner (no tenant needed).
with psycopg.connect(os.environ["MIGRATION_DATABASE_URL"]) as owner:
    CITIES = {slug: (str(tid), prefix) for slug, tid, prefix in
              owner.execute("SELECT slug, id, tracking_prefix FROM tenants")}
    KEYS = {digest: (str(tid), str(kid), limit) for digest, tid, kid, limit in
            owner.execute("SELECT key_hash, tenant_id, id, rate_limit_per_minute FROM api_keys "
                          "WHERE revoked_at IS NULL")}
    POTHOLE = {str(tid): (str(cid), str(did)) for tid, cid, did in
               owner.execute("SELECT tenant_id, id, department_id FROM categories WHERE service_code = 'pothole'")}

redis = Redis.from_url(os.environ["REDIS_URL"])
notifications = Queue("notifications", connection=redis)
RETRY = Retry(max=3, interval=[5, 30, 120])
_local = threading.local()


def connection() -> psycopg.Connection:
    # One connection per worker, opened after gunicorn forks; the app's own role, so RLS applies.
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["BARE_DATABASE_URL"])
    return conn


@app.post("/open311/v2/requests.json")
def create():
    tenant_id, prefix = CITIES[request.host.split(":")[0].removesuffix(DOMAIN)]
    form = request.form
    key = KEYS.get(hashlib.sha256(form.get("api_key", "").strip().encode()).hexdigest())
    if key is None or key[0] != tenant_id:
        abort(403)
    if "rate" not in SKIP:
        window = f"civic311:open311:rate:{key[1]}:{int(time.time() // 60)}"
        pipe = redis.pipeline(transaction=False)
        pipe.incr(window)
        pipe.expire(window, 120)
        if pipe.execute()[0] > key[2]:
            abort(429)
    category_id, department_id = POTHOLE[tenant_id]
    conn = connection()
    try:
        number, message_id = _write_rows(conn, tenant_id, prefix, category_id, department_id, form)
    except Exception:
        conn.rollback()  # a failed statement must not leave the worker's connection unusable
        raise
    if "rq" not in SKIP:
        with redis.pipeline() as pipe:
            notifications.enqueue_call("civic311.jobs.run_job",
                                       args=("civic311.platform.outbox:deliver", tenant_id, message_id),
                                       job_id=f"outbox-{message_id}", retry=RETRY, timeout=300,
                                       failure_ttl=7 * 24 * 3600, pipeline=pipe)
            pipe.execute()
    return jsonify([{"service_request_id": number, "service_notice": "Expected within 2 business days."}]), 201


def _write_rows(conn: psycopg.Connection, tenant_id: str, prefix: str, category_id: str, department_id: str,
                form) -> tuple[str, str]:
    """The transaction: tenant setting, catalog version, tracking number, the four rows, COMMIT.
    Gives the tracking number and the outbox row's id."""
    request_id, event_id, follower_id, message_id = (str(uuid.uuid4()) for _ in range(4))
    conn.execute("SELECT set_config('app.tenant_id', %s, true), set_config('app.all_tenants', '', true)",
                 (tenant_id,))
    if "peek" not in SKIP:
        conn.execute("SELECT value FROM counters WHERE tenant_id = %s AND name = 'catalog_version'", (tenant_id,))
    now = datetime.now(UTC)
    if "counter" in SKIP:  # a number no counter hands out (the letter), unique by its random part
        sequence = 0
        number = f"{prefix}-{now:%y}-X{uuid.uuid4().hex[:12]}"
    else:
        sequence = conn.execute("UPDATE counters SET value = value + 1 WHERE tenant_id = %s "
                                "AND name = 'request_number' RETURNING value", (tenant_id,)).fetchone()[0]
        number = f"{prefix}-{now:%y}-{sequence:06d}"
    at = now.isoformat()
    email = (form.get("email") or "").strip().lower() or None
    rows = {
        "r0": {"tenant_id": tenant_id, "id": request_id, "number": number, "sequence": sequence,
               "category_id": category_id, "service_code": form.get("service_code"), "service_name": "Pothole",
               "answers": [], "description": form.get("description", ""), "channel": "api", "status": "new",
               "priority": "normal", "tags": [], "lat": form.get("lat", type=float),
               "lng": form.get("long", type=float), "address": form.get("address_string"), "anonymous": False,
               "reporter_name": form.get("first_name"), "reporter_email": email, "reporter_locale": "en",
               "media_urls": [], "department_id": department_id, "routing_explanation": ROUTED,
               "requested_at": at, "updated_at": at, "due_at": (now + timedelta(days=2)).isoformat(),
               "at_risk_at": (now + timedelta(days=1)).isoformat(), "sla_state": "on_track",
               "escalation_level": 0, "reopened_count": 0, "version": 1, "created_at": at},
        "r1": {"tenant_id": tenant_id, "id": event_id, "request_id": request_id, "at": at, "kind": "submitted",
               "public": True, "actor_label": "Open311 key", "channel": "api", "to_status": "new", "message": "",
               "data": {"routing": ROUTED, "anonymous": False}, "created_at": at},
        "r2": {"tenant_id": tenant_id, "id": follower_id, "request_id": request_id, "email": email, "locale": "en",
               "is_reporter": True, "created_at": at},
        "r3": {"tenant_id": tenant_id, "id": message_id, "kind": "notify", "status": "pending", "attempts": 0,
               "payload": {"request_id": request_id, "event_id": event_id, "template": "received"},
               "dedupe_key": f"notify:{event_id}", "available_at": at, "created_at": at},
    }
    conn.execute(INSERT, {name: json.dumps(row) for name, row in rows.items()})
    conn.commit()
    return number, message_id
