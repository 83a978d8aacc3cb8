"""Intake (validation, numbering, duplicates) and the lifecycle (transitions, reopen window, merge)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from civic311.db import db, utcnow
from civic311.platform import lifecycle
from civic311.platform.intake import Contact, IntakeError, Location, find_duplicates
from civic311.platform.lifecycle import LifecycleError
from civic311.platform.models import Follower, OutboxMessage, RequestEvent
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Question
from civic311.tenants.models import Tenant
from tests.engines.helpers import SPRINGFIELD, file, pothole_category

METRE = 1 / 111_320  # degrees of latitude


def _fields(err: IntakeError) -> set[str]:
    return {e.field for e in err.errors}


def test_every_rule_of_the_category_is_checked_at_once(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        cat = pothole_category(photo_required=True, contact_required=True, anonymous_allowed=False)
        db.session.add(Question(category_id=cat.id, code="depth", datatype="number", required=True, position=1,
                                description="How deep is it, in cm?"))
        db.session.flush()
        with pytest.raises(IntakeError) as err:
            file(answers={"depth": "very"}, contact=Contact(email="not-an-email"), anonymous=True,
                 description="<b>big</b>", location=Location(lat=120.0, lng=0.0))
        assert _fields(err.value) == {"attribute[depth]", "email", "anonymous", "description", "media", "lat"}
        assert err.value.for_field("attribute[depth]") == ["Enter a number."]


def test_channel_and_unknown_services(two_tenants):
    a, b = two_tenants
    with tenant_context(a.id):
        pothole_category(channels=["portal"])
        with pytest.raises(IntakeError) as err:
            file(channel="phone")
        assert err.value.errors[0].code == "channel" and not err.value.not_found
    with tenant_context(b.id), pytest.raises(IntakeError) as err:
        file()  # Bravotown has no pothole service: another city's catalog is invisible
    assert err.value.not_found


def test_numbers_are_readable_and_per_city(two_tenants):
    a, b = two_tenants
    with tenant_context(a.id):
        pothole_category()
        first, second = file().number, file().number
        db.session.commit()
    with tenant_context(b.id):
        pothole_category()
        other = file().number
        db.session.commit()
    assert re.fullmatch(r"ALP-\d\d-000001", first) and second.endswith("-000002")
    assert re.fullmatch(r"BRA-\d\d-000001", other)


def test_intake_writes_request_history_routing_and_outbox_together(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        db.session.commit()
        req = file()
        db.session.rollback()  # the caller's transaction fails: nothing at all remains
        assert db.session.scalars(select(RequestEvent)).all() == []
        assert db.session.scalars(select(OutboxMessage)).all() == []
        req = file()
        db.session.commit()
        assert [e.kind for e in req.history] == ["submitted"]
        assert req.routing_explanation
        assert db.session.scalars(select(Follower.email)).all() == ["rosa@example.com"]


def test_duplicates_within_50_metres_same_category_open_and_recent(two_tenants):
    a, _ = two_tenants
    lat, lng = SPRINGFIELD
    with tenant_context(a.id):
        cat = pothole_category()
        other = Category(service_code="graffiti", name="Graffiti", department_id=cat.department_id)
        db.session.add(other)
        near = file()
        closed = file()
        lifecycle.close(closed, "resolved")
        old = file(requested_at=utcnow() - timedelta(days=45))
        file(service_code="graffiti")
        db.session.flush()
        tenant = db.session.get(Tenant, a.id)
        assert tenant.duplicate_radius_m == 50
        assert find_duplicates(cat, lat + 30 * METRE, lng, tenant=tenant) == [near]
        assert find_duplicates(cat, lat + 80 * METRE, lng, tenant=tenant) == []
        tenant.duplicate_radius_m = 100  # each city sets its own distance
        assert find_duplicates(cat, lat + 80 * METRE, lng, tenant=tenant) == [near]
        tenant.duplicate_window_days = 60
        assert set(find_duplicates(cat, lat, lng, tenant=tenant)) == {near, old}
        assert find_duplicates(cat, None, None, tenant=tenant) == []


def test_status_moves_and_refusals(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        lifecycle.acknowledge(req)
        lifecycle.set_status(req, "in_progress", message="Crew assigned")
        with pytest.raises(LifecycleError):
            lifecycle.set_status(req, "new")  # in progress cannot go back to new
        with pytest.raises(LifecycleError):
            lifecycle.close(req, "because")  # not a close reason
        lifecycle.close(req, "no_access", note="Gate locked")
        assert (req.status, req.close_reason, req.detailed_status) == ("closed", "no_access", "fixed")
        with pytest.raises(LifecycleError):
            lifecycle.set_status(req, "in_progress")
        kinds = [(e.kind, e.from_status, e.to_status) for e in req.history]
        assert kinds == [("submitted", None, "new"), ("acknowledged", "new", "acknowledged"),
                         ("status", "acknowledged", "in_progress"), ("closed", "in_progress", "closed")]
        note = lifecycle.internal_note(req, "Ask the owner for the gate code")
        assert not note.public and note.kind == "internal_note"


def test_reopen_window_binds_the_reporter_not_staff(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        lifecycle.close(req, "resolved")
        lifecycle.reopen(req, "The hole is back", by_reporter=True)
        assert (req.status, req.reopened_count, req.close_reason) == ("new", 1, None)
        lifecycle.close(req, "resolved")
        req.closed_at = utcnow() - timedelta(days=31)
        with pytest.raises(LifecycleError, match="more than 30 days"):
            lifecycle.reopen(req, "Still there", by_reporter=True)
        lifecycle.reopen(req, "Inspector found it again", by_reporter=False)
        assert req.status == "new" and req.reopened_count == 2
        with pytest.raises(LifecycleError):
            lifecycle.reopen(req, "again", by_reporter=False)  # it is not closed


def test_merge_closes_the_duplicate_and_moves_its_followers(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        original = file()
        duplicate = file(contact=Contact(name="Sam", email="sam@example.com"), locale="es")
        lifecycle.follow(duplicate, "neighbour@example.com")
        quitter = lifecycle.follow(duplicate, "quit@example.com")
        quitter.unsubscribed_at = utcnow()
        lifecycle.merge(duplicate, original)
        assert (duplicate.status, duplicate.close_reason, duplicate.duplicate_of_id) == ("closed", "duplicate",
                                                                                         original.id)
        followers = {f.email: f.locale for f in db.session.scalars(
            select(Follower).where(Follower.request_id == original.id))}
        assert followers == {"rosa@example.com": "en", "sam@example.com": "es", "neighbour@example.com": "en"}
        assert db.session.scalars(select(RequestEvent.kind).where(RequestEvent.request_id == original.id,
                                                                  RequestEvent.kind == "merged")).one()
        with pytest.raises(LifecycleError):
            lifecycle.merge(original, original)
        with pytest.raises(LifecycleError):
            lifecycle.merge(file(), duplicate)  # into a closed request


def test_merge_moves_sms_only_followers_too(two_tenants):
    """A reporter who gave only a phone number keeps getting text messages after a merge."""
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        original = file()
        duplicate = file(contact=Contact(name="Lou", phone="+15555550123"))
        lifecycle.merge(duplicate, original)
        phones = {f.phone for f in db.session.scalars(select(Follower).where(Follower.request_id == original.id))}
        assert "+15555550123" in phones


def test_an_anonymous_report_by_a_signed_in_resident_names_nobody_in_its_history(two_tenants):
    from civic311.actor import Actor, acting_as

    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        db.session.commit()
        with acting_as(Actor(label="resident rosa@example.com")):
            hidden = file(anonymous=True, contact=Contact())
            named = file()
        with acting_as(Actor(label="Ada Agent <ada@alpha.test>", is_staff=True)):
            by_phone = file(anonymous=True, contact=Contact())
        db.session.commit()
        assert [e.actor_label for e in hidden.history] == ["anonymous resident"]
        assert hidden.reporter_email is None and hidden.resident_account_id is None
        assert [e.actor_label for e in named.history] == ["resident rosa@example.com"]
        assert [e.actor_label for e in by_phone.history] == ["Ada Agent <ada@alpha.test>"]
