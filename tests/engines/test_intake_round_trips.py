"""Intake reads the city's catalog from a per-process cache and writes its rows together: a handful of SQL
statements per request (a regression shows here first), and a catalog change still applies to the very
next request without a restart, in any process."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

from sqlalchemy import event

from civic311.db import db
from civic311.platform import catalog_cache
from civic311.platform.intake import IntakeError, Location
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Holiday, Question, RoutingRule, Zone
from tests.conftest import BACKEND
from tests.engines.helpers import file, pothole_category
from tests.open311.conftest import cities, seed_catalog  # noqa: F401  (fixtures)

CATALOG_TABLES = ("categories", "questions", "departments", "category_groups", "zones", "routing_rules",
                  "holidays")
WARD = {"type": "Polygon", "coordinates": [[[-89.66, 39.77], [-89.64, 39.77], [-89.64, 39.79], [-89.66, 39.79],
                                            [-89.66, 39.77]]]}


@contextmanager
def statements(app):
    """Every SQL statement sent to the database inside the block (what a profiler calls round trips)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, _params, _context, _executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _reads_catalog(sql: str) -> bool:
    return sql.startswith("SELECT") and any(re.search(rf"\bFROM {t}\b", sql) for t in CATALOG_TABLES)


def _full_catalog() -> None:
    """A category with a question, a zone, a routing rule and a holiday: everything intake reads."""
    pothole_category()
    category = db.session.query(Category).one()
    db.session.add(Question(category_id=category.id, code="size", datatype="singlevaluelist", required=True,
                            position=1, description="How big?", values=[{"key": "s", "name": "Small"}]))
    db.session.add(Zone(name="Ward 2", geometry=WARD, min_lng=-89.66, min_lat=39.77, max_lng=-89.64,
                        max_lat=39.79))
    db.session.add(RoutingRule(name="Urgent gas", position=1, conditions={"keywords": ["gas"]},
                               actions={"priority": "urgent"}))
    db.session.add(Holiday(day="2026-12-24", name="Christmas Eve"))
    db.session.commit()


def test_one_intake_is_a_handful_of_statements(app, two_tenants):
    """Before the cache: 13 statements for one intake at the service level (tenant, category,
    department, questions, zones, rules, holidays, counter, 4 INSERTs, the outbox lookup; 14 on
    PostgreSQL); now 7 (8 on PostgreSQL)."""
    a, _ = two_tenants
    with tenant_context(a.id):
        _full_catalog()
        file(answers={"size": "s"})  # the first request of the process fills the cache
        db.session.commit()
        with statements(app) as seen:
            req = file(answers={"size": "s"}, location=Location(lat=39.78, lng=-89.65))
        assert req.zone_id is not None and req.answers[0]["label"] == "Small"
        db.session.commit()
    assert not [s for s in seen if _reads_catalog(s)], seen
    postgres = BACKEND == "postgres"
    inserted = sorted(table for s in seen for table in re.findall(r"INSERT INTO (\w+)", s))
    assert inserted == ["followers", "outbox", "request_events", "service_requests"], seen
    # On PostgreSQL the four rows go in one statement (the INSERTs chained by WITH); SQLite takes four.
    assert len([s for s in seen if "INSERT INTO" in s]) == (1 if postgres else 4), seen
    # tenant row (expired by the commit), catalog version, tracking counter, the INSERTs; on PostgreSQL
    # also the transaction's row-level-security setting.
    assert len(seen) <= (5 if postgres else 7), "\n".join(seen)


def test_an_open311_post_is_a_handful_of_statements(app, cities, monkeypatch):  # noqa: F811
    """The whole HTTP request (host, key, intake, service notice), jobs left queued as a worker would
    find them: 16 statements before the cache (18 on PostgreSQL; the notice read the category and
    department again), 8 with it (10 on PostgreSQL, where the tenant is handed to row-level security),
    then 7 (9): the API key is checked against the cached snapshot too; now 7 (6): on PostgreSQL the
    request, history, follower and outbox rows are one statement."""
    import civic311.jobs

    queued = []
    monkeypatch.setattr(civic311.jobs, "dispatch", lambda *specs: queued.extend(specs))
    key = cities["alpha"].key
    client = app.test_client()
    data = {"service_code": "pothole", "lat": "39.78", "long": "-89.65", "attribute[size]": "large",
            "description": "Deep hole by the school", "email": "resident@example.com", "api_key": key}
    assert client.post("/open311/v2/requests.json", data=data, base_url="http://alpha.localhost").status_code == 200
    with statements(app) as seen:
        response = client.post("/open311/v2/requests.json", data=data, base_url="http://alpha.localhost")
    assert response.status_code == 200, response.data
    assert json.loads(response.data)[0]["service_notice"]
    assert [spec.path for spec in queued] == ["civic311.platform.outbox:deliver"] * 2
    assert not [s for s in seen if _reads_catalog(s)], seen
    assert not [s for s in seen if "api_keys" in s], seen  # the key comes from the snapshot
    assert len(seen) <= (6 if BACKEND == "postgres" else 7), "\n".join(seen)


def test_a_catalog_change_applies_to_the_next_request(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        _full_catalog()
        first = file(answers={"size": "s"})
        db.session.commit()
        assert first.priority == "normal" and first.sla_state == "on_track"
        # An admin changes the catalog in another session (another request, or another process).
        with app.app_context():
            other = db.session
            category = other.query(Category).one()
            category.priority = "high"
            other.add(RoutingRule(name="Ward 2 crew", position=0, conditions={"zone_ids": [
                str(other.query(Zone).one().id)]}, actions={"tags": ["ward2"]}))
            question = other.query(Question).one()
            question.values = [{"key": "s", "name": "Small"}, {"key": "xl", "name": "Huge"}]
            other.commit()
        second = file(answers={"size": "xl"}, location=Location(lat=39.78, lng=-89.65))
        db.session.commit()
        assert second.priority == "high" and second.tags == ["ward2"] and second.answers[0]["label"] == "Huge"
        with app.app_context():
            db.session.query(Category).one().active = False
            db.session.commit()
        try:
            file(answers={"size": "s"})
            raise AssertionError("an inactive category took a request")
        except IntakeError as exc:
            assert exc.not_found


def test_an_uncommitted_change_never_reaches_the_shared_cache(app, two_tenants):
    a, _ = two_tenants
    with tenant_context(a.id):
        _full_catalog()
        file(answers={"size": "s"})
        db.session.commit()
        category = db.session.query(Category).one()
        category.name = "Renamed, then rolled back"
        db.session.flush()
        inside = file(answers={"size": "s"})
        assert inside.service_name == "Renamed, then rolled back"  # the transaction sees its own change
        db.session.rollback()
        after = file(answers={"size": "s"})
        db.session.commit()
        assert after.service_name == "Pothole"


def test_each_city_has_its_own_cached_catalog(app, two_tenants):
    a, b = two_tenants
    with tenant_context(a.id):
        pothole_category(name="Alpha pothole")
        db.session.commit()
        file()
        db.session.commit()
    with tenant_context(b.id):
        pothole_category(name="Bravo pothole")
        db.session.commit()
        assert file().service_name == "Bravo pothole"
        db.session.commit()
    with tenant_context(a.id):
        assert file().service_name == "Alpha pothole"
        assert catalog_cache.current().tenant_id == a.id
