"""Every console action goes through the lifecycle, records who did it, and refuses bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic311.accounts.access import city_access
from civic311.actor import Actor, acting_as
from civic311.audit import AuditEvent
from civic311.console import service
from civic311.console.models import SavedView
from civic311.db import db
from civic311.platform.lifecycle import ConcurrentChange, LifecycleError
from civic311.platform.models import Follower, RequestEvent, ServiceRequest
from civic311.tenancy import tenant_context
from tests.console.conftest import file


def _as(user):
    return acting_as(Actor(label=f"{user.name} <{user.email}>", user_id=user.id,
                           operator_org_id=None, is_staff=True))


def _events(req, kind):
    return list(db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == req.id,
                                                              RequestEvent.kind == kind)))


@pytest.fixture
def sup(world):
    with tenant_context(world.a.id):
        access = city_access(world.supervisor, world.a)
        req = db.session.get(ServiceRequest, (world.a.id, world.pothole.id))
        with _as(world.supervisor):
            yield access, req


def test_acknowledge_status_assign_reply_note_are_recorded_with_the_actor(world, sup):
    access, req = sup
    service.perform(req, "acknowledge", {"version": req.version, "message": "On our list."}, access)
    assert req.status == "acknowledged" and req.acknowledged_at is not None
    service.perform(req, "status", {"version": req.version, "status": "in_progress"}, access)
    assert req.status == "in_progress"
    service.perform(req, "assign", {"version": req.version, "assignee": str(world.roads_staff.id)}, access)
    assert req.assignee_user_id == world.roads_staff.id
    service.perform(req, "reply", {"version": req.version, "message": "A crew is scheduled."}, access)
    service.perform(req, "note", {"version": req.version, "message": "Needs the big truck."}, access)
    db.session.flush()
    for kind in ("acknowledged", "status", "assigned", "public_reply", "internal_note"):
        (event,) = _events(req, kind)
        assert event.actor_user_id == world.supervisor.id
    assert not _events(req, "internal_note")[0].public
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(req.id))))
    assert {"request.acknowledged", "request.status", "request.assigned", "request.public_reply",
            "request.internal_note"} <= actions


def test_assignee_must_work_on_the_requests_department(world, sup):
    access, req = sup
    with pytest.raises(service.ActionError):
        service.perform(req, "assign", {"version": req.version, "assignee": str(world.parks_staff.id)}, access)
    with pytest.raises(service.ActionError):
        service.perform(req, "assign", {"version": req.version, "assignee": str(world.outsider.id)}, access)
    service.perform(req, "assign", {"version": req.version, "assignee": "none"}, access)
    assert req.assignee_user_id is None


def test_close_needs_a_reason_and_reopen_needs_words(world, sup):
    access, req = sup
    with pytest.raises(LifecycleError):
        service.perform(req, "close", {"version": req.version, "reason": ""}, access)
    service.perform(req, "close", {"version": req.version, "reason": "resolved", "message": "Filled."}, access)
    assert req.status == "closed" and req.close_reason == "resolved" and req.close_note == "Filled."
    with pytest.raises(LifecycleError):
        service.perform(req, "reopen", {"version": req.version, "message": "  "}, access)
    service.perform(req, "reopen", {"version": req.version, "message": "It sank again."}, access)
    assert req.status == "new" and req.reopened_count == 1


def test_merge_into_another_moves_followers_and_closes_as_duplicate(world, sup):
    access, req = sup
    original = file("POTHOLE", email="first@example.com")
    service.perform(req, "merge", {"version": req.version, "into": original.number}, access)
    assert req.status == "closed" and req.close_reason == "duplicate" and req.duplicate_of_id == original.id
    emails = set(db.session.scalars(select(Follower.email).where(Follower.request_id == original.id)))
    assert "pat@example.com" in emails
    with pytest.raises(service.ActionError):
        other = file("POTHOLE")
        service.perform(other, "merge", {"version": other.version, "into": "NOPE-1"}, access)


def test_merge_refuses_another_citys_request(world, sup):
    access, req = sup
    with pytest.raises(service.ActionError):
        service.perform(req, "merge", {"version": req.version, "into": world.b_request.number}, access)


def test_recategorize_reroutes_and_move_pin(world, sup):
    access, req = sup
    service.perform(req, "recategorize", {"version": req.version, "category_id": str(world.cat.graffiti.id)}, access)
    assert req.service_code == "GRAFFITI" and req.department_id == world.cat.parks.id
    service.perform(req, "move", {"version": req.version, "lat": "39.79", "lng": "-89.64", "address": "5 Oak"},
                    access)
    assert (req.lat, req.lng, req.address) == (39.79, -89.64, "5 Oak")
    with pytest.raises(service.ActionError):
        service.perform(req, "move", {"version": req.version, "lat": "north", "lng": "1"}, access)
    with pytest.raises(service.ActionError):
        service.perform(req, "recategorize", {"version": req.version, "category_id": str(world.cat_b.pothole.id)},
                        access)


def test_a_stale_version_is_refused_for_every_action(world, sup):
    access, req = sup
    stale = req.version
    service.perform(req, "note", {"version": stale, "message": "first"}, access)
    db.session.flush()
    for action, data in [("acknowledge", {}), ("reply", {"message": "x"}), ("note", {"message": "x"}),
                         ("assign", {"assignee": "none"}), ("status", {"status": "in_progress"}),
                         ("close", {"reason": "resolved"})]:
        with pytest.raises(ConcurrentChange):
            service.perform(req, action, {"version": stale, **data}, access)


def test_standard_response_placeholders_are_filled(world, sup):
    access, req = sup
    row = service.save_standard_response(None, title="Scheduled", locale="en",
                                         body="Hello from {city}: {tracking_number} ({category}) by {expected_date}."
                                              " {unknown} stays.")
    text = service.fill_response(row.body, req, world.a)
    assert req.number in text and "Alphaville" in text and "Pothole" in text and "{unknown} stays." in text
    assert "{expected_date}" not in text


def test_bulk_update_changes_current_versions_and_reports_stale_ones(world, sup):
    access, req = sup
    second = file("POTHOLE", address="200 Main St")
    stale = second.version
    service.perform(second, "note", {"version": stale, "message": "touched"}, access)
    db.session.flush()
    result = service.bulk_update([(str(req.id), str(req.version)), (str(second.id), str(stale)),
                                  (str(world.b_request.id), "1")], "status", "in_progress", access)
    assert result.done == [req.number]
    skipped = dict(result.skipped)
    assert second.number in skipped and str(world.b_request.id) in skipped
    assert second.status == "new" and req.status == "in_progress"


def test_saved_views_belong_to_one_person(world, sup):
    access, _ = sup
    view = service.save_view(world.supervisor.id, "Breached roads", {"sla": "breached"})
    service.save_view(world.supervisor.id, "Breached roads", {"sla": "breached", "assignee": "none"})
    assert db.session.scalar(select(SavedView).where(SavedView.id == view.id)).filters["assignee"] == "none"
    assert service.views_of(world.admin.id) == []
    with pytest.raises(service.ActionError):
        service.save_view(world.supervisor.id, "  ", {})


def test_every_action_is_audited_with_the_person_who_did_it(world, sup):
    access, req = sup
    original = file("POTHOLE", address="original")
    other = file("POTHOLE", address="other")
    steps = [
        (req, "close", {"reason": "resolved"}, "request.closed"),
        (req, "reopen", {"message": "Still there"}, "request.reopened"),
        (req, "recategorize", {"category_id": str(world.cat.graffiti.id)}, "request.recategorized"),
        (req, "move", {"lat": "39.79", "lng": "-89.64", "address": "5 Oak"}, "request.moved"),
        (other, "merge", {"into": original.number}, "request.closed"),
    ]
    for target, action, data, audited in steps:
        before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.target_id == str(target.id), AuditEvent.action == audited))
        service.perform(target, action, {"version": target.version, **data}, access)
        db.session.flush()
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.target_id == str(target.id),
                                                                AuditEvent.action == audited)))
        assert len(rows) == before + 1, action
        assert all(r.actor_user_id == world.supervisor.id for r in rows), action
    merged = _events(other, "closed")[0]
    assert merged.actor_user_id == world.supervisor.id and other.duplicate_of_id == original.id
