"""A small load generator (no wrk here): T threads, each a sequence of HTTP/1.1 requests to random
cities; reports requests per second and latency percentiles as JSON.

usage: open311_client.py PORT KIND(list|get) SECONDS THREADS CITIES PER_CITY
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import threading
import time


def worker(port: int, kind: str, until: float, cities: int, per_city: int, seed: int, out: list, errors: list):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < until:
        city = f"city{rng.randrange(cities):04d}"
        if kind == "list":
            path = "/open311/v2/requests.json?page_size=50"
        else:
            path = f"/open311/v2/requests/CTY-26-{rng.randint(1, per_city):06d}.json"
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Host": f"{city}.localhost"})
            response = conn.getresponse()
            body = response.read()
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            errors.append("io")
            continue
        out.append(time.perf_counter() - started)
        if response.status != 200 or not body.startswith(b"["):
            errors.append(response.status)


def main(port: int, kind: str, seconds: float, threads: int, cities: int, per_city: int) -> None:
    latencies: list[float] = []
    errors: list = []
    until = time.perf_counter() + seconds
    pool = [threading.Thread(target=worker, args=(port, kind, until, cities, per_city, i, latencies, errors))
            for i in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    print(json.dumps({"kind": kind, "requests": len(latencies), "errors": len(errors), "rps": len(latencies) / elapsed,
                      "p50_ms": pct(0.50), "p99_ms": pct(0.99)}))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
