"""Two staff changing one request at once: neither change is lost silently; the second person is told,
sees the latest data with what they typed kept, and can retry.

Two paths lead there. The common one: the second person's form carries the version they loaded, and the
lifecycle refuses it (ConcurrentChange). The truly simultaneous one: both requests pass that check
before either has written, and the database's `UPDATE ... WHERE version = ?` matches no row for the
later one (SQLAlchemy's StaleDataError). Both must give the same answer."""

from __future__ import annotations

import html
import re
import threading

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from civic311.db import db
from civic311.platform.models import RequestEvent, ServiceRequest
from civic311.tenancy import tenant_context
from tests.conftest import csrf_token_from
from tests.console.conftest import client_for, file


def _version(html: str, action: str) -> str:
    return re.search(rf'name="{action}-version"[^>]*value="(\d+)"', html).group(1)


def _messages(world) -> dict[str, str]:
    """kind -> message of the pothole's history, read fresh from the database."""
    db.session.expire_all()
    with tenant_context(world.a.id):
        return {e.message: e.kind for e in db.session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == world.pothole.id))}


def _current_version(world) -> int:
    db.session.expire_all()
    with tenant_context(world.a.id):
        return db.session.get(ServiceRequest, (world.a.id, world.pothole.id)).version


def test_the_second_of_two_people_is_told_shown_the_latest_and_can_retry(app, world):
    first, second = client_for(app, world.supervisor), client_for(app, world.admin)
    url = f"/t/alpha/requests/{world.pothole.number}"
    page1, page2 = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    loaded = _version(page2, "assign")
    assert _version(page1, "status") == loaded  # both looked at the same version

    ok = first.post(f"{url}/status", data={"status-status": "in_progress", "status-message": "Crew booked",
                                           "status-version": _version(page1, "status"),
                                           "csrf_token": csrf_token_from(page1)})
    assert ok.status_code == 302
    late = second.post(f"{url}/assign", data={"assign-assignee": str(world.roads_staff.id),
                                              "assign-version": loaded, "csrf_token": csrf_token_from(page2)})
    body = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Someone else changed this" in body and "Someone else changed this request while you" in body
    assert "Crew booked" in body  # the latest data: the first person's change
    selected = re.search(r'<select[^>]*name="assign-assignee".*?</select>', body, re.S).group(0)
    assert re.search(rf'<option selected value="{world.roads_staff.id}"|<option value="{world.roads_staff.id}" '
                     r'selected', selected)  # what they chose is kept
    assert int(_version(body, "assign")) > int(loaded)
    assert _current_version(world) == int(_version(body, "assign"))

    retry = second.post(f"{url}/assign", data={"assign-assignee": str(world.roads_staff.id),
                                               "assign-version": _version(body, "assign"),
                                               "csrf_token": csrf_token_from(body)})
    assert retry.status_code == 302
    with tenant_context(world.a.id):
        db.session.expire_all()
        req = db.session.get(ServiceRequest, (world.a.id, world.pothole.id))
        assert req.status == "in_progress" and req.assignee_user_id == world.roads_staff.id  # neither lost
    assert "Crew booked" in _messages(world)


def test_a_refused_change_is_not_half_written(app, world):
    """The late request writes nothing: no history entry, no audit row, the version unchanged."""
    first, second = client_for(app, world.supervisor), client_for(app, world.admin)
    url = f"/t/alpha/requests/{world.pothole.number}"
    page1, page2 = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    first.post(f"{url}/note", data={"note-message": "first", "note-version": _version(page1, "note"),
                                    "csrf_token": csrf_token_from(page1)})
    version = _current_version(world)
    late = second.post(f"{url}/note", data={"note-message": "second, too late", "note-version":
                                            _version(page2, "note"), "csrf_token": csrf_token_from(page2)})
    assert late.status_code == 409 and "second, too late" in late.get_data(as_text=True)
    assert _current_version(world) == version and "second, too late" not in _messages(world)


@pytest.fixture
def pause_flush_in_thread():
    """Holds one thread's first flush of a changed request until told to go on: the moment between
    "the version still matched when I checked" and "my UPDATE reaches the database"."""
    state = {"thread": None, "reached": threading.Event(), "go": threading.Event(), "done": False}

    def before_flush(session, _context, _instances):
        if threading.current_thread() is not state["thread"] or state["done"]:
            return
        if any(isinstance(obj, ServiceRequest) for obj in session.dirty):
            state["done"] = True
            state["reached"].set()
            assert state["go"].wait(30), "the other request never finished"

    event.listen(Session, "before_flush", before_flush)
    yield state
    event.remove(Session, "before_flush", before_flush)
    state["go"].set()


def test_truly_simultaneous_changes_give_the_same_answer(app, world, pause_flush_in_thread):
    """Both requests pass the version check; the later UPDATE matches no row (StaleDataError)."""
    first, second = client_for(app, world.supervisor), client_for(app, world.admin)
    url = f"/t/alpha/requests/{world.pothole.number}"
    page1, page2 = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    loaded = _version(page2, "reply")
    results: dict = {}

    def send_reply():
        response = second.post(f"{url}/reply", data={"reply-message": "We are on it", "reply-version": loaded,
                                                      "csrf_token": csrf_token_from(page2)})
        results["status"], results["body"] = response.status_code, response.get_data(as_text=True)

    late = threading.Thread(target=send_reply, name="late-reply")
    pause_flush_in_thread["thread"] = late
    late.start()
    try:
        assert pause_flush_in_thread["reached"].wait(30), "the reply never reached its flush"
        # The reply has loaded the request and passed the version check; now the note lands first.
        ok = first.post(f"{url}/note", data={"note-message": "Crew on site", "note-version": _version(page1, "note"),
                                             "csrf_token": csrf_token_from(page1)})
        assert ok.status_code == 302
    finally:
        pause_flush_in_thread["go"].set()
        late.join(30)
    assert not late.is_alive()

    body = results["body"]
    assert results["status"] == 409, body[-2000:]
    assert "Someone else changed this" in body
    assert "We are on it" in body  # what was typed is kept
    assert "Crew on site" in body  # the latest data is shown
    new_version = _version(body, "reply")
    assert int(new_version) == _current_version(world) > int(loaded)
    assert "We are on it" not in _messages(world)  # nothing half-written

    retry = second.post(f"{url}/reply", data={"reply-message": "We are on it", "reply-version": new_version,
                                              "csrf_token": csrf_token_from(body)})
    assert retry.status_code == 302
    assert _messages(world).get("We are on it") == "public_reply"
    assert _messages(world).get("Crew on site") == "internal_note"


def test_a_bulk_change_racing_another_person_skips_that_request_and_says_so(app, world, pause_flush_in_thread):
    """Bulk status change: the request someone else changed at the same moment is reported, not
    overwritten; the others are changed."""
    with tenant_context(world.a.id):
        second = file("POTHOLE", address="200 Main St")
        second_id, second_number = str(second.id), second.number
        db.session.commit()
    sup, admin = client_for(app, world.supervisor), client_for(app, world.admin)
    queue = sup.get("/t/alpha/queue").get_data(as_text=True)
    detail = admin.get(f"/t/alpha/requests/{world.pothole.number}").get_data(as_text=True)
    ident = str(world.pothole.id)
    versions = {rid: re.search(rf'name="v-{rid}" value="(\d+)"', queue).group(1) for rid in (ident, second_id)}
    results: dict = {}

    def bulk():
        response = sup.post("/t/alpha/queue/bulk", data={
            "csrf_token": csrf_token_from(queue), "action": "status", "status": "in_progress", "assignee": "none",
            "selected": [ident, second_id], **{f"v-{rid}": v for rid, v in versions.items()},
            "back": "/t/alpha/queue"})
        results["status"] = response.status_code

    late = threading.Thread(target=bulk, name="bulk")
    pause_flush_in_thread["thread"] = late
    late.start()
    try:
        assert pause_flush_in_thread["reached"].wait(30)
        ok = admin.post(f"/t/alpha/requests/{world.pothole.number}/note", data={
            "note-message": "Crew on site", "note-version": _version(detail, "note"),
            "csrf_token": csrf_token_from(detail)})
        assert ok.status_code == 302
    finally:
        pause_flush_in_thread["go"].set()
        late.join(30)
    assert results["status"] == 302
    after = html.unescape(sup.get("/t/alpha/queue").get_data(as_text=True))
    assert f"Not changed: {world.pothole.number} (someone else changed it first)" in after
    assert f"Updated 1 requests: {second_number}" in after
    db.session.expire_all()
    with tenant_context(world.a.id):
        assert db.session.get(ServiceRequest, (world.a.id, world.pothole.id)).status == "new"
        assert db.session.get(ServiceRequest, (world.a.id, second.id)).status == "in_progress"
    assert _messages(world).get("Crew on site") == "internal_note"
