"""The intake path end to end at the service layer: validation, numbering, routing, SLA, history."""

from __future__ import annotations

import pytest

from civic311.db import db
from civic311.platform.intake import Contact, IntakeError, IntakeSubmission, Location, file_request
from civic311.platform.lifecycle import ConcurrentChange, acknowledge, close
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Department, Question


def _pothole_category():
    dept = Department(name="Public Works")
    db.session.add(dept)
    db.session.flush()
    cat = Category(service_code="pothole", name="Pothole", department_id=dept.id, sla_value=2,
                   sla_unit="business_days")
    db.session.add(cat)
    db.session.flush()
    db.session.add(Question(category_id=cat.id, code="size", datatype="singlevaluelist", required=True,
                            position=1, description="How big is it?",
                            values=[{"key": "small", "name": "Smaller than a plate"},
                                    {"key": "large", "name": "Larger than a plate"}]))
    db.session.flush()
    return cat


def test_a_request_is_numbered_routed_and_timed(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        _pothole_category()
        result = file_request(IntakeSubmission(
            service_code="pothole", channel="portal", answers={"size": "large"},
            description="Deep hole by the school", location=Location(lat=39.78, lng=-89.65),
            contact=Contact(email="res@example.com")))
        db.session.commit()
        req = result.request
        assert req.number.startswith("ALP-") and req.number.endswith("-000001")
        assert req.department.name == "Public Works"
        assert req.due_at > req.requested_at
        assert [e.kind for e in req.history] == ["submitted"]
        assert req.answers[0]["label"] == "Larger than a plate"


def test_bad_answers_are_all_reported(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        _pothole_category()
        with pytest.raises(IntakeError) as err:
            file_request(IntakeSubmission(service_code="pothole", channel="portal", answers={"size": "huge"},
                                          description="x" * 5000))
        fields = {e.field for e in err.value.errors}
        assert fields == {"attribute[size]", "description", "location"}
        with pytest.raises(IntakeError) as err:
            file_request(IntakeSubmission(service_code="nope", channel="portal"))
        assert err.value.not_found


def test_a_stale_version_is_refused(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        _pothole_category()
        req = file_request(IntakeSubmission(service_code="pothole", channel="phone", answers={"size": "small"},
                                            location=Location(address="1 Main St"))).request
        db.session.commit()
        seen = req.version
        acknowledge(req, version=seen)
        db.session.commit()
        with pytest.raises(ConcurrentChange):
            close(req, "resolved", version=seen)
