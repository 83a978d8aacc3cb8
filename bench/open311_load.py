"""Build a fresh PostgreSQL database for the Open311 benchmark: migrations, then COPY of N cities and
R requests per city (1,000 × 1,000 = 1,000,000, or 1,000 × 100 = 100,000).

usage: open311_load.py DBNAME CITIES REQUESTS_PER_CITY
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import create_engine

PG = os.environ.get("BENCH_PG", "127.0.0.1:5432")


def _row(table, values: dict) -> list:
    """Every column of `table` in order: the given value, else the model's Python default, else NULL."""
    out = []
    for column in table.columns:
        if column.name in values:
            value = values[column.name]
        elif column.default is not None and getattr(column.default, "is_scalar", False):
            value = column.default.arg
        elif column.default is not None and getattr(column.default, "is_callable", False):
            value = column.default.arg(None)
        else:
            value = None
        if isinstance(value, dict | list):
            value = json.dumps(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        out.append(value)
    return out


def main(dbname: str, cities: int, per_city: int) -> None:
    started = time.time()
    with psycopg.connect(f"postgresql://postgres@{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{dbname}"')
    owner_url = f"postgresql+psycopg://postgres@{PG}/{dbname}"
    from civic311.app import create_app
    from civic311.db import db
    from civic311.migration_runner import upgrade

    # The app connects as the non-owner role (row-level security in force); migrations grant it its rights.
    app = create_app({"database_url": f"postgresql+psycopg://civic311_app@{PG}/{dbname}",
                      "migration_database_url": owner_url, "secret_key": "bench", "redis_url": ""})
    upgrade(app)
    engine = create_engine(owner_url)
    db.metadata.create_all(engine, checkfirst=True)  # tables whose migration the lead has not written yet
    engine.dispose()
    tables = db.metadata.tables
    print(f"schema ready in {time.time() - started:.0f} s", flush=True)
    rng = random.Random(311)
    now = datetime.now(UTC)
    with psycopg.connect(f"postgresql://postgres@{PG}/{dbname}") as conn:
        # Generated rows are consistent by construction: skip the per-row foreign-key triggers while loading.
        conn.execute("SET session_replication_role = replica")
        tenants, departments, categories = [], [], []
        for n in range(cities):
            tid = uuid.uuid4()
            tenants.append(_row(tables["tenants"], {
                "id": tid, "slug": f"city{n:04d}", "name": f"City {n:04d}", "status": "active",
                "timezone": "America/Chicago", "tracking_prefix": "CTY", "created_at": now}))
            dept, cat = uuid.uuid4(), uuid.uuid4()
            departments.append((tid, dept))
            categories.append((tid, cat, dept))
        _copy(conn, tables["tenants"], tenants)
        _copy(conn, tables["departments"], [_row(tables["departments"], {
            "tenant_id": t, "id": d, "name": "Public Works", "created_at": now}) for t, d in departments])
        _copy(conn, tables["categories"], [_row(tables["categories"], {
            "tenant_id": t, "id": c, "service_code": "pothole", "name": "Pothole", "department_id": d,
            "created_at": now}) for t, c, d in categories])
        conn.commit()
        print(f"cities ready in {time.time() - started:.0f} s", flush=True)
        table = tables["service_requests"]
        # Indexes are rebuilt once after the load, far faster than maintaining them row by row.
        indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'service_requests' "
                               "AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        names = [c.name for c in table.columns]
        with conn.cursor() as cur, cur.copy(
                f"COPY service_requests ({', '.join(names)}) FROM STDIN") as copy:
            template = _row(table, {"created_at": now})
            where = {name: i for i, name in enumerate(names)}
            fixed = {"category_id": None, "service_code": "pothole", "service_name": "Pothole",
                     "description": "Deep pothole in the right lane, about a foot wide", "channel": "api",
                     "reporter_email": "someone@example.com"}
            for name, value in fixed.items():
                template[where[name]] = value
            for (tid, cat, dept) in categories:
                for seq in range(1, per_city + 1):
                    at = now - timedelta(seconds=rng.randint(60, 80 * 86400))
                    closed = rng.random() < 0.6
                    row = list(template)
                    for name, value in (
                        ("tenant_id", tid), ("id", uuid.uuid4()), ("number", f"CTY-26-{seq:06d}"),
                        ("sequence", seq), ("category_id", cat), ("status", "closed" if closed else "new"),
                        ("close_reason", "resolved" if closed else None),
                        ("closed_at", at + timedelta(days=2) if closed else None),
                        ("lat", 39.78 + rng.random() / 20), ("lng", -89.65 + rng.random() / 20),
                        ("address", f"{rng.randint(1, 999)} Main St"), ("department_id", dept),
                        ("requested_at", at), ("updated_at", at), ("due_at", at + timedelta(days=3)),
                        ("created_at", at),
                    ):
                        row[where[name]] = value
                    copy.write_row(row)
        for _, definition in indexes:
            conn.execute(definition)
        conn.commit()
        print(f"requests copied in {time.time() - started:.0f} s", flush=True)
        conn.execute('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "civic311_app"')
        conn.execute("ANALYZE service_requests")
    print(f"loaded {cities} cities x {per_city} requests into {dbname} in {time.time() - started:.0f} s",
          flush=True)


def _copy(conn, table, rows: list[list]) -> None:
    names = [c.name for c in table.columns]
    with conn.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
