"""The baseline: bare Flask + psycopg answering the same two Open311 queries with the same JSON, no
framework layers (no ORM, sessions, tenancy hooks, access checks). Run under gunicorn like the app.

BENCH_DSN=postgresql://civic311_app@127.0.0.1/DB gunicorn bench.open311_bare:app
"""

from __future__ import annotations

import json
import os
from zoneinfo import ZoneInfo

import psycopg
from flask import Flask, Response, request

app = Flask(__name__)
_conn: psycopg.Connection | None = None

COLUMNS = ("r.number, r.status, r.close_note, r.close_reason, r.service_name, r.service_code, r.description, "
           "d.name, r.requested_at, r.updated_at, r.closed_at, r.due_at, r.address, r.address_id, r.zipcode, "
           "r.lat, r.lng, r.media_urls")
FROM = ("FROM service_requests r LEFT JOIN departments d ON d.tenant_id = r.tenant_id AND d.id = r.department_id "
        "WHERE r.tenant_id = %s")


def conn() -> psycopg.Connection:
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["BENCH_DSN"], autocommit=False)
    return _conn


def _tenant(cur) -> tuple | None:
    slug = request.host.split(":")[0].split(".")[0]
    cur.execute("SELECT id, timezone FROM tenants WHERE slug = %s", (slug,))
    row = cur.fetchone()
    if row:
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(row[0]),))
    return row


def _out(rows, tz: ZoneInfo) -> Response:
    def iso(value):
        return value.astimezone(tz).isoformat(timespec="seconds") if value else None

    body = [{
        "service_request_id": r[0], "status": "closed" if r[1] == "closed" else "open",
        "status_notes": (r[2] or r[3]) if r[1] == "closed" else None, "service_name": r[4], "service_code": r[5],
        "description": r[6], "agency_responsible": r[7], "service_notice": None, "requested_datetime": iso(r[8]),
        "updated_datetime": iso(r[10] if r[1] == "closed" and r[10] else r[9]), "expected_datetime": iso(r[11]),
        "address": r[12], "address_id": r[13], "zipcode": r[14], "lat": r[15], "long": r[16],
        "media_url": (r[17] or [None])[0],
    } for r in rows]
    return Response(json.dumps(body), content_type="application/json; charset=utf-8")


@app.get("/open311/v2/requests.json")
def requests_list():
    with conn().cursor() as cur:
        tenant = _tenant(cur)
        if tenant is None:
            conn().rollback()
            return Response("[]", status=404)
        size = int(request.args.get("page_size") or 1000)
        cur.execute(f"SELECT {COLUMNS} {FROM} AND r.requested_at >= now() - interval '90 days' "
                    "ORDER BY r.requested_at DESC, r.id DESC LIMIT %s", (tenant[0], size))
        rows = cur.fetchall()
    conn().commit()
    return _out(rows, ZoneInfo(tenant[1]))


@app.get("/open311/v2/requests/<number>.json")
def request_one(number: str):
    with conn().cursor() as cur:
        tenant = _tenant(cur)
        cur.execute(f"SELECT {COLUMNS} {FROM} AND r.number = %s", (tenant[0], number))
        rows = cur.fetchall()
    conn().commit()
    if not rows:
        return Response("[]", status=404)
    return _out(rows, ZoneInfo(tenant[1]))
