"""Profile the two benchmarked Open311 requests in-process on a database built by open311_load.py:
SQL statements per request, mean time per request, and the top of a cProfile.

usage: open311_profile.py DBNAME [REQUESTS]   (e.g. after `open311_load.py civic311_profile 20 1000`)
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import time

from sqlalchemy import event

PG = os.environ.get("BENCH_PG", "127.0.0.1:5432")


def main(dbname: str, count: int) -> None:
    os.environ.setdefault("CIVIC311_INSTANCE", tempfile.mkdtemp(prefix="civic311-profile-"))
    from civic311.app import create_app
    from civic311.db import db

    app = create_app({"database_url": f"postgresql+psycopg://civic311_app@{PG}/{dbname}",
                      "migration_database_url": f"postgresql+psycopg://postgres@{PG}/{dbname}",
                      "secret_key": "bench", "redis_url": "", "platform_domain": "localhost"})
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, sql, params, context, many: statements.append(sql))
    client = app.test_client()
    rng = random.Random(311)

    def path(kind: str) -> str:
        if kind == "list":
            return "/open311/v2/requests.json?page_size=50"
        return f"/open311/v2/requests/CTY-26-{rng.randint(1, 100):06d}.json"

    for kind in ("list", "get"):
        for _ in range(20):  # warm caches (statement cache, tenant cache, imports)
            client.get(path(kind), base_url=f"http://city{rng.randrange(20):04d}.localhost")
        statements.clear()
        response = client.get(path(kind), base_url="http://city0001.localhost")
        assert response.status_code == 200, response.data[:200]
        print(f"{kind}: {len(statements)} SQL statements, Set-Cookie: {response.headers.get('Set-Cookie')}")
        for sql in statements:
            print("   ", " ".join(sql.split())[:150])
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(count):
            client.get(path(kind), base_url=f"http://city{rng.randrange(20):04d}.localhost")
        profiler.disable()
        print(f"{kind}: {(time.perf_counter() - started) / count * 1000:.2f} ms per request (profiled)")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("PROFILE_LINES", "45")))
        print(out.getvalue())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
