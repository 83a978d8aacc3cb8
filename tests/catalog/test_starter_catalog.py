"""The starter catalog a new city adopts in one step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic311.audit import AuditEvent
from civic311.db import db
from civic311.platform.intake import Contact, IntakeError, IntakeSubmission, Location, file_request
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import DATATYPES, PRIORITIES, Category, CategoryGroup, Department, Question
from civic311.tenants.starter_catalog import (
    StarterCatalogError,
    adopt_starter_catalog,
    starter_data,
    starter_groups,
)

COMMON = ("pothole", "streetlight-out", "graffiti", "missed-collection", "bulky-item", "illegal-dumping",
          "abandoned-vehicle", "sidewalk-repair", "traffic-signal", "street-sign", "tree-trim", "park-maintenance",
          "noise-residential", "property-maintenance", "stray-animal", "dead-animal", "water-leak", "sewer-backup")
SLA_UNITS = ("business_days", "business_hours", "days", "hours")


def _count(model) -> int:
    return len(db.session.scalars(select(model)).all())


def _all_categories() -> list[dict]:
    return [c for g in starter_data()["groups"] for c in g["categories"]]


def test_the_common_311_categories_are_offered_in_groups():
    groups = starter_groups()
    codes = [c.service_code for g in groups for c in g.categories]
    assert len(codes) == len(set(codes)), "service codes are unique"
    for code in COMMON:
        assert code in codes
    assert len(groups) >= 8
    streets = next(g for g in groups if g.key == "streets")
    assert streets.label("es") == "Calles y aceras"
    pothole = next(c for c in streets.categories if c.service_code == "pothole")
    assert pothole.department == "Public Works"
    assert pothole.sla_text == "3 business days"


def test_every_category_is_complete_in_english_and_spanish():
    for c in _all_categories():
        code = c["service_code"]
        for locale in ("en", "es"):
            assert c["name"][locale].strip(), (code, locale)
            assert c["description"][locale].strip(), (code, locale)
            if c.get("emergency_notice"):
                assert "911" in c["emergency_notice"][locale], code
        assert c["keywords"], code
        assert c["priority"] in PRIORITIES, code
        assert c["sla"]["unit"] in SLA_UNITS and c["sla"]["value"] > 0, code
        assert c["sources"], f"{code} names the real services it was built from"
        assert len(c["name"]["en"]) <= 120 and len(code) <= 64


def test_every_question_is_a_valid_open311_attribute_in_both_languages():
    for c in _all_categories():
        codes = [q["code"] for q in c["questions"]]
        assert len(codes) == len(set(codes)), c["service_code"]
        for q in c["questions"]:
            assert q["datatype"] in DATATYPES, (c["service_code"], q["code"])
            assert q["description"]["en"].strip() and q["description"]["es"].strip()
            if q.get("help"):
                assert q["help"]["en"] and q["help"]["es"]
            if q["datatype"] in ("singlevaluelist", "multivaluelist"):
                keys = [v["key"] for v in q["values"]]
                assert len(keys) >= 2 and len(keys) == len(set(keys)), (c["service_code"], q["code"])
                for value in q["values"]:
                    assert value["name"]["en"] and value["name"]["es"]
            else:
                assert not q.get("values"), (c["service_code"], q["code"])
    datatypes = {q["datatype"] for c in _all_categories() for q in c["questions"]}
    assert datatypes == set(DATATYPES), "the catalog exercises every Open311 datatype"


def test_danger_categories_tell_people_to_call_911():
    by_code = {c["service_code"]: c for c in _all_categories()}
    for code in ("tree-down", "water-leak", "sewer-backup", "traffic-signal", "streetlight-pole-damage"):
        assert "call 911" in by_code[code]["emergency_notice"]["en"]
        assert "llame al 911" in by_code[code]["emergency_notice"]["es"]


def test_adopting_creates_the_catalog_in_the_current_city_only(two_tenants):
    a, b = two_tenants
    with tenant_context(a.id):
        result = adopt_starter_catalog()
        db.session.commit()
        total = len(_all_categories())
        assert len(result.categories) == total == _count(Category)
        assert _count(CategoryGroup) == len(starter_data()["groups"])
        assert "Public Works" in result.departments and _count(Department) == len(starter_data()["departments"])
        pothole = db.session.scalar(select(Category).where(Category.service_code == "pothole"))
        assert pothole.label("es") == "Bache" and pothole.sla_text() == "3 business days"
        assert pothole.department.name == "Public Works" and pothole.group.name == "Streets and sidewalks"
        size = pothole.questions[0]
        assert size.code == "size" and size.prompt("es").startswith("¿Qué tan grande")
        assert size.values[0]["name_i18n"]["es"] == "Más pequeño que un plato"
        tree = db.session.scalar(select(Category).where(Category.service_code == "tree-down"))
        assert "911" in tree.emergency_notice["es"] and tree.priority == "urgent" and tree.sla_unit == "hours"
        audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "catalog.starter_adopted")).all()
        assert len(audits) == 1 and audits[0].details["questions"] == _count(Question)
    with tenant_context(b.id):
        assert _count(Category) == 0


def test_question_orders_start_at_one_and_are_unique(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        adopt_starter_catalog()
        db.session.commit()
        for category in db.session.scalars(select(Category)):
            positions = [q.position for q in category.questions]
            assert positions == list(range(1, len(positions) + 1)), category.service_code


def test_adopting_twice_adds_nothing_twice(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        adopt_starter_catalog(group_keys=["streets"])
        db.session.commit()
        counts = [_count(m) for m in (Department, CategoryGroup, Category, Question)]
        again = adopt_starter_catalog(group_keys=["streets"])
        db.session.commit()
        assert not again.created_anything
        assert sorted(again.skipped_categories) == sorted(
            c["service_code"] for g in starter_data()["groups"] if g["key"] == "streets" for c in g["categories"])
        assert [_count(m) for m in (Department, CategoryGroup, Category, Question)] == counts
        adopted = select(AuditEvent).where(AuditEvent.action == "catalog.starter_adopted")
        assert len(db.session.scalars(adopted).all()) == 1
        # Adopting everything later adds only what is missing, and keeps the city's own edits.
        pothole = db.session.scalar(select(Category).where(Category.service_code == "pothole"))
        pothole.name = "Pothole or road damage"
        db.session.commit()
        rest = adopt_starter_catalog()
        db.session.commit()
        assert "pothole" in rest.skipped_categories and "graffiti" in rest.categories
        assert _count(Category) == len(_all_categories())
        assert _count(CategoryGroup) == len(starter_data()["groups"])
        assert db.session.scalar(select(Category.name).where(Category.service_code == "pothole")) == \
            "Pothole or road damage"


def test_adopting_single_categories_and_unknown_keys(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        result = adopt_starter_catalog(category_codes=["graffiti", "noise-residential"])
        db.session.commit()
        assert sorted(result.categories) == ["graffiti", "noise-residential"]
        assert sorted(result.groups) == ["Graffiti and dumping", "Noise"]
        with pytest.raises(StarterCatalogError, match="no-such-thing"):
            adopt_starter_catalog(category_codes=["no-such-thing"])


def test_an_adopted_category_takes_requests_and_checks_its_questions(two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        adopt_starter_catalog(group_keys=["streets", "trash"])
        db.session.commit()
        with pytest.raises(IntakeError) as refused:
            file_request(IntakeSubmission(service_code="pothole", channel="portal",
                                          location=Location(lat=39.78, lng=-89.65), notify=False))
        assert refused.value.for_field("attribute[size]")
        filed = file_request(IntakeSubmission(
            service_code="pothole", channel="portal", answers={"size": "medium", "count": "2"},
            description="Two deep holes in the eastbound lane", location=Location(lat=39.78, lng=-89.65),
            notify=False))
        assert filed.request.department.name == "Public Works"
        with pytest.raises(IntakeError) as anonymous:
            file_request(IntakeSubmission(
                service_code="bulky-item", channel="phone", anonymous=True,
                answers={"items": ["mattress", "sofa"], "item_count": "2", "placement": "curb"},
                location=Location(address="12 Elm St"), contact=Contact(), notify=False))
        assert anonymous.value.for_field("anonymous")
