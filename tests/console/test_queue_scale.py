"""The queue stays fast on a big city: keyset pages, first and twenty deep, for everyone and for staff
limited to one department. CIVIC311_QUEUE_SCALE=100000 runs it at the size the issue names (inserting
the rows takes most of the time, so the default is 20,000)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert

from civic311.accounts.access import city_access
from civic311.console import queue
from civic311.db import db, utcnow
from civic311.platform.models import ServiceRequest
from civic311.tenancy import tenant_context

SIZE = int(os.environ.get("CIVIC311_QUEUE_SCALE", "20000"))


def test_first_and_deep_pages_are_fast(world):
    now = utcnow()
    roads = world.cat.roads.id
    with tenant_context(world.a.id):
        rows = [{"tenant_id": world.a.id, "id": uuid.uuid4(), "number": f"BIG-{n:07d}", "sequence": 10_000 + n,
                 "category_id": world.cat.pothole.id, "service_code": "POTHOLE", "service_name": "Pothole",
                 "channel": "portal", "status": ("new", "acknowledged", "in_progress")[n % 3],
                 "department_id": roads if n % 2 else world.cat.parks.id,
                 "due_at": now + timedelta(minutes=n % 50_000 + 5), "requested_at": now, "updated_at": now,
                 "created_at": now} for n in range(SIZE)]
        for start in range(0, SIZE, 10_000):
            db.session.execute(insert(ServiceRequest), rows[start:start + 10_000])
        db.session.commit()
        for user in (world.supervisor, world.roads_staff):  # everyone, and staff limited to one department
            access = city_access(user, world.a)
            started = time.perf_counter()
            page = queue.page(queue.QueueFilter(), access, user.id)
            for _ in range(20):  # twenty pages deep
                page = queue.page(queue.QueueFilter(), access, user.id, page.next_cursor)
            elapsed = (time.perf_counter() - started) / 21
            assert len(page.rows) == queue.PAGE_SIZE
            print(f"{SIZE} open requests: {elapsed * 1000:.1f} ms per page for {user.email}")
            assert elapsed < 0.5, f"{elapsed:.3f}s per page for {user.email}"
            breached = queue.page(queue.QueueFilter(sla="breached"), access, user.id)
            assert breached.rows == []
