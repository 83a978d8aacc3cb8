"""Profile Open311 intake in-process: SQL statements of one POST, time per POST, and the top of a cProfile.

usage: intake_profile.py DBNAME [REQUESTS]
Builds DBNAME afresh (migrations, two cities seeded through bench/intake_seed.py), then posts through
Flask's test client with Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/3), as the benchmark does.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


def build(dbname: str, work: Path) -> None:
    with psycopg.connect(f"postgresql://postgres@{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'civic311_app'").fetchone():
            conn.execute("CREATE ROLE civic311_app LOGIN")
    env = dict(os.environ)
    subprocess.run([str(ROOT / ".venv/bin/civic311"), "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, str(ROOT / "bench/intake_seed.py"), "200", "2", str(work)], env=env, check=True,
                   capture_output=True)


def main(dbname: str, count: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="civic311-intake-profile-"))
    os.environ.update({
        "DATABASE_URL": f"postgresql://civic311_app@{PG}/{dbname}",
        "MIGRATION_DATABASE_URL": f"postgresql://postgres@{PG}/{dbname}",
        "CIVIC311_INSTANCE": str(work / "instance"), "SECRET_KEY": "bench", "REDIS_URL": REDIS,
        "UPLOAD_DIR": str(work / "uploads"), "PLATFORM_DOMAIN": "bench.localhost",
    })
    build(dbname, work)
    targets = json.loads((work / "targets.json").read_text())
    sys.path.insert(0, str(ROOT))
    from civic311.app import create_app
    from civic311.db import db

    app = create_app()
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, sql, params, context, many: statements.append(sql))
    client = app.test_client()
    counter = iter(range(10**9))

    def post() -> None:
        i = next(counter)
        target = targets[i % len(targets)]
        response = client.post("/open311/v2/requests.json", base_url=f"http://{target['slug']}.bench.localhost",
                               data={"api_key": target["key"], "service_code": "pothole",
                                     "description": f"Pothole {i} in the right lane", "lat": "39.78",
                                     "long": "-89.65", "address_string": "100 N 5th St",
                                     "email": f"resident{i}@example.com", "first_name": "Bench"})
        assert response.status_code in (200, 201), response.data[:300]

    for _ in range(30):
        post()
    statements.clear()
    post()
    print(f"{len(statements)} SQL statements")
    for sql in statements:
        print("   ", " ".join(sql.split())[:160])
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        post()
    profiler.disable()
    print(f"{(time.perf_counter() - started) / count * 1000:.2f} ms per request (profiled)")
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        post()
    print(f"{(time.perf_counter() - started) / count * 1000:.2f} ms per request (not profiled), of which "
          f"{(time.process_time() - cpu) / count * 1000:.2f} ms of this process's CPU")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
    stats.print_stats(int(os.environ.get("PROFILE_LINES", "60")))
    print(out.getvalue())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300)
