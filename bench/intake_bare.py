"""The yardstick: a bare Flask + psycopg app whose POST inserts one row and answers 201 with JSON.

Same gunicorn, same database, same role as civic311; no tenancy, validation, routing, SLA or outbox.
"""

from __future__ import annotations

import os
import threading
import uuid

import psycopg
from flask import Flask, jsonify, request

app = Flask("bare")
_local = threading.local()
DSN = os.environ["BARE_DATABASE_URL"]


def connection() -> psycopg.Connection:
    # One connection per worker thread, opened after gunicorn forks.
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DSN)
    return conn


@app.post("/open311/v2/requests.json")
def create():
    form = request.form
    conn = connection()
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO bare_requests (id, service_code, description, lat, lng, email)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (uuid.uuid4(), form.get("service_code"), form.get("description"), form.get("lat", type=float),
             form.get("long", type=float), form.get("email")),
        )
    conn.commit()
    return jsonify([{"service_request_id": "ok"}]), 201
