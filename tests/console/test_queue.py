"""The queue: filters, SLA states from the clock, and keyset paging that neither skips nor repeats."""

from __future__ import annotations

import json
from datetime import timedelta

from civic311.accounts.access import city_access
from civic311.console import queue
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from tests.console.conftest import client_for, file


def _numbers(rows):
    return [r.number for r in rows]


def test_keyset_pages_walk_every_open_request_in_due_order(world):
    with tenant_context(world.a.id):
        now = utcnow()
        made = [file("GRAFFITI", address=f"{n} Elm") for n in range(7)]
        # Two share a due date (the id breaks the tie); one has no due date and comes last.
        for offset, req in zip([5, 1, 3, 3, 9, 2, None], made, strict=True):
            req.due_at = now + timedelta(hours=offset) if offset is not None else None
        db.session.commit()
        access = city_access(world.supervisor, world.a)
        filters = queue.QueueFilter(category=str(world.cat.graffiti.id))
        seen, cursor = [], None
        while True:
            page = queue.page(filters, access, world.supervisor.id, cursor, size=3)
            seen += page.rows
            cursor = page.next_cursor
            if cursor is None:
                break
        expected = sorted((r for r in made + [world.graffiti] if r.due_at), key=lambda r: (r.due_at, r.id))
        assert _numbers(seen) == _numbers(expected) + [made[6].number]
        assert queue.page(filters, access, world.supervisor.id, "not-a-cursor").rows[0].number == seen[0].number


def test_filters_by_sla_state_assignee_channel_and_status(world):
    with tenant_context(world.a.id):
        now = utcnow()
        late = file("POTHOLE", address="late")
        risky = file("POTHOLE", address="risky", channel="phone")
        late.due_at, late.at_risk_at = now - timedelta(hours=1), now - timedelta(hours=5)
        risky.due_at, risky.at_risk_at = now + timedelta(hours=1), now - timedelta(hours=1)
        risky.assignee_user_id = world.roads_staff.id
        db.session.commit()
        access = city_access(world.supervisor, world.a)

        def numbers(**kw):
            return set(_numbers(queue.page(queue.QueueFilter(**kw), access, world.roads_staff.id).rows))

        assert numbers(sla="breached") == {late.number}
        assert numbers(sla="at_risk") == {risky.number}
        assert late.number not in numbers(sla="on_track") and world.pothole.number in numbers(sla="on_track")
        assert numbers(assignee="me") == {risky.number}
        assert risky.number not in numbers(assignee="none")
        assert numbers(channel="phone") == {risky.number}
        assert numbers(status="closed") == set()
        assert numbers(department=str(world.cat.parks.id)) == {world.graffiti.number}
        assert numbers(category="not-a-uuid") == set()
        assert queue.sla_state_now(late) == "breached" and queue.sla_state_now(risky) == "at_risk"


def test_queue_page_links_to_the_next_page_and_saved_views(app, world):
    with tenant_context(world.a.id):
        for n in range(60):
            file("GRAFFITI", address=f"{n} Park Row")
        db.session.commit()
    sup = client_for(app, world.supervisor)
    first = sup.get("/t/alpha/queue").get_data(as_text=True)
    assert 'rel="next"' in first
    import re

    from tests.conftest import csrf_token_from

    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = sup.get(next_url).get_data(as_text=True)
    assert "First page" in second and 'rel="next"' not in second
    filters = json.dumps({"department": str(world.cat.parks.id)})
    saved = sup.post("/t/alpha/queue/views", data={"name": "Parks backlog", "filters": filters,
                                                   "csrf_token": csrf_token_from(first)})
    assert saved.status_code == 302 and f"department={world.cat.parks.id}" in saved.headers["Location"]
    assert "Parks backlog" in sup.get("/t/alpha/queue").get_data(as_text=True)
    assert "Parks backlog" not in client_for(app, world.admin).get("/t/alpha/queue").get_data(as_text=True)


def test_bulk_assign_from_the_queue(app, world):
    import re

    from tests.conftest import csrf_token_from

    sup = client_for(app, world.supervisor)
    page = sup.get("/t/alpha/queue").get_data(as_text=True)
    ident = str(world.pothole.id)
    version = re.search(rf'name="v-{ident}" value="(\d+)"', page).group(1)
    response = sup.post("/t/alpha/queue/bulk", data={
        "csrf_token": csrf_token_from(page), "action": "assign", "assignee": str(world.roads_staff.id),
        "status": "new", "selected": [ident], f"v-{ident}": version, "back": "/t/alpha/queue"})
    assert response.status_code == 302
    after = sup.get("/t/alpha/queue").get_data(as_text=True)
    assert f"Updated 1 requests: {world.pothole.number}" in after
