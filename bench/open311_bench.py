"""Orchestrates the Open311 benchmark: for 100k and 1M requests, load a fresh database, serve the app
and the bare baseline with gunicorn, drive both with the same load, print the ratios.

Environment: BENCH_SECONDS (per measurement, default 10), BENCH_THREADS (default 4), BENCH_WORKERS
(gunicorn workers, default 2), BENCH_SIZES (default "100000 1000000"), BENCH_KEEP=1 keeps the databases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv/bin/python")
GUNICORN = str(ROOT / ".venv/bin/gunicorn")
PG = os.environ.get("BENCH_PG", "127.0.0.1:5432")
CITIES = 1000
SECONDS = os.environ.get("BENCH_SECONDS", "10")
THREADS = os.environ.get("BENCH_THREADS", "4")
WORKERS = os.environ.get("BENCH_WORKERS", "2")
APP_PORT, BARE_PORT = 8311, 8312


def _wait(port: int) -> None:
    for _ in range(150):
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/open311/v2/requests/CTY-26-000001.json",
                                         headers={"Host": "city0000.localhost"})
            with urllib.request.urlopen(req, timeout=5) as response:  # noqa: S310 (local)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not come up")


def _serve(module: str, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([GUNICORN, "-w", WORKERS, "-b", f"127.0.0.1:{port}", "--log-level", "warning", module],
                            cwd=ROOT, env={**os.environ, **env})


def _drive(port: int, kind: str, per_city: int, seconds: str = SECONDS, threads: str = THREADS) -> dict:
    out = subprocess.run([PY, str(ROOT / "bench/open311_client.py"), str(port), kind, seconds, threads,
                          str(CITIES), str(per_city)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_size(total: int) -> dict:
    per_city = total // CITIES
    dbname = f"civic311_bench_open311_{total}"
    subprocess.run([PY, str(ROOT / "bench/open311_load.py"), dbname, str(CITIES), str(per_city)], cwd=ROOT,
                   check=True)
    instance = tempfile.mkdtemp(prefix="civic311-bench-")
    app_env = {"DATABASE_URL": f"postgresql+psycopg://civic311_app@{PG}/{dbname}",
               "MIGRATION_DATABASE_URL": f"postgresql+psycopg://postgres@{PG}/{dbname}",
               "PLATFORM_DOMAIN": "localhost", "SECRET_KEY": "bench", "REDIS_URL": "", "CIVIC311_INSTANCE": instance}
    servers = [_serve("wsgi:app", APP_PORT, app_env),
               _serve("bench.open311_bare:app", BARE_PORT, {"BENCH_DSN": f"postgresql://civic311_app@{PG}/{dbname}"})]
    try:
        _wait(APP_PORT)
        _wait(BARE_PORT)
        results = {}
        for kind in ("list", "get"):
            for name, port in (("app", APP_PORT), ("bare", BARE_PORT)):
                _drive(port, kind, per_city, seconds="2")  # warm-up
                results[f"{name}_{kind}"] = _drive(port, kind, per_city)
        # Latency without queueing: one client at a time.
        results["app_list_latency"] = _drive(APP_PORT, "list", per_city, threads="1")
        results["app_get_latency"] = _drive(APP_PORT, "get", per_city, threads="1")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if os.environ.get("BENCH_KEEP") != "1":
            subprocess.run(["psql", "-h", PG.split(":")[0], "-p", PG.split(":")[1], "-U", "postgres", "-q", "-c",
                            f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'], check=False)
    for key, value in results.items():
        print(f"  {total:>9,} rows  {key:<18} {value['rps']:8.1f} req/s  p50 {value['p50_ms']:6.1f} ms  "
              f"p99 {value['p99_ms']:6.1f} ms  errors {value['errors']}", flush=True)
    return results


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "100000 1000000").split()]
    results = {size: run_size(size) for size in sizes}
    big, small = results[max(sizes)], results[min(sizes)]
    list_ratio = big["app_list"]["rps"] / big["bare_list"]["rps"]
    get_ratio = big["app_get"]["rps"] / big["bare_get"]["rps"]
    p99 = max(big["app_list_latency"]["p99_ms"] / small["app_list_latency"]["p99_ms"],
              big["app_get_latency"]["p99_ms"] / small["app_get_latency"]["p99_ms"])
    print(json.dumps({str(k): v for k, v in results.items()}), file=sys.stderr)
    print(f"open311: list ratio {list_ratio:.2f}, get ratio {get_ratio:.2f}, p99 1M/100k {p99:.2f}")


if __name__ == "__main__":
    main()
