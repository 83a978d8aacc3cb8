"""Fallback load generator (when wrk cannot be installed): threads POSTing for a fixed time.

Usage: python bench/intake_load.py PORT SECONDS CONNECTIONS TARGETS_JSON PLATFORM_DOMAIN
Prints the same RESULT line as bench/intake_wrk.lua: requests, req/s, p50 ms, p99 ms, errors.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import threading
import time
from urllib.parse import urlencode


def main(port: int, seconds: float, connections: int, targets_file: str, domain: str) -> None:
    with open(targets_file) as handle:
        targets = json.load(handle)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < stop_at:
            i += 1
            t = targets[(n + i) % len(targets)]
            body = urlencode({"api_key": t["key"], "service_code": "pothole", "description": f"Pothole {n}-{i}",
                              "lat": 39.7817 + rng.uniform(-0.05, 0.05), "long": -89.6501 + rng.uniform(-0.06, 0.06),
                              "email": f"resident{n}-{i}@example.com", "first_name": "Bench"})
            started = time.perf_counter()
            try:
                conn.request("POST", "/open311/v2/requests.json", body, {
                    "Host": f"{t['slug']}.{domain}", "Content-Type": "application/x-www-form-urlencoded"})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except OSError:
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0.0

    print(f"RESULT {len(latencies)} {len(latencies) / elapsed:.1f} {pct(0.5):.1f} {pct(0.99):.1f} {errors[0]}")


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
