"""The API's per-request path: how many SQL statements a list and a get cost, no session cookie on API
answers, and a city's tenant row kept per process without ever serving a suspension late."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from sqlalchemy import event

from civic311.db import db
from civic311.tenancy import tenant_context
from civic311.tenants.service import set_status
from civic311.web.tenant_cache import VERSION_CHECK_SECONDS, VERSION_KEY, tenant_cache
from tests.conftest import BACKEND, REDIS_URL, USE_REDIS
from tests.open311.conftest import create, errors_of, new_request

FORMATS = ("xml", "json")


class StatementLog:
    def __init__(self, app) -> None:
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(" ".join(statement.split()))


@pytest.fixture
def fresh_tenant_cache():
    """Each test starts with an empty cache, the real clock and a shared-version check due, whatever an
    earlier test did."""
    tenant_cache.clear()
    tenant_cache._next_version_check = 0.0
    yield tenant_cache
    tenant_cache.clock = time.monotonic
    tenant_cache._next_version_check = 0.0
    tenant_cache.clear()


def test_a_list_and_a_get_cost_at_most_two_statements(app, alpha, cities, fresh_tenant_cache):
    number = new_request(alpha, cities["alpha"].key)
    alpha.get("/open311/v2/requests.json")  # the city's row is now known to this process
    with StatementLog(app) as listed:
        response = alpha.get("/open311/v2/requests.json?page_size=50")
    assert response.status_code == 200 and len(json.loads(response.data)) == 1
    with StatementLog(app) as got:
        response = alpha.get(f"/open311/v2/requests/{number}.json")
    assert response.status_code == 200 and json.loads(response.data)[0]["service_request_id"] == number
    for statements in (listed, got):
        # PostgreSQL: the row-level-security setting, then the one query; SQLite: the query alone.
        assert len(statements) <= 2, statements
        assert sum("FROM service_requests" in s for s in statements) == 1, statements
        assert not any("FROM tenants" in s for s in statements), statements


def test_the_first_request_of_a_city_reads_its_row_once(app, alpha, cities, fresh_tenant_cache):
    with StatementLog(app) as first:
        assert alpha.get("/open311/v2/services.json").status_code == 200
    with StatementLog(app) as second:
        assert alpha.get("/open311/v2/services.json").status_code == 200
    assert sum("FROM tenants" in s for s in first) == 1
    assert not any("FROM tenants" in s for s in second)


def test_one_read_of_every_city_serves_the_first_request_to_each(app, alpha, bravo, fresh_tenant_cache):
    with StatementLog(app) as first:
        assert alpha.get("/open311/v2/services.json").status_code == 200
    with StatementLog(app) as other_city:
        assert bravo.get("/open311/v2/services.json").status_code == 200
    assert sum("FROM tenants" in s for s in first) == 1
    assert "WHERE" not in next(s for s in first if "FROM tenants" in s).split("FROM tenants")[1]
    assert not any("FROM tenants" in s for s in other_city)  # bravo came with alpha's read


def test_unknown_hosts_never_reread_every_city(app, alpha, on_host, fresh_tenant_cache):
    assert alpha.get("/open311/v2/services.json").status_code == 200  # every city is known now
    with StatementLog(app) as unknown:
        for name in ("nowhere", "junk1", "junk2"):
            assert on_host(f"{name}.localhost").get("/open311/v2/services.json").status_code == 404
    reads = [s for s in unknown if "FROM tenants" in s]
    assert len(reads) == 3 and all("tenants.slug =" in s for s in reads), reads  # one name each, never all


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_answers_never_set_a_cookie(app, alpha, cities, fmt, fresh_tenant_cache):
    number = new_request(alpha, cities["alpha"].key)
    portal = alpha.get("/")  # a resident's browser has a portal session cookie on this host...
    assert "session=" in portal.headers.get("Set-Cookie", "")
    answers = [
        alpha.get(f"/open311/v2/requests.{fmt}"),
        alpha.get(f"/open311/v2/requests/{number}.{fmt}"),
        alpha.get(f"/open311/v2/services.{fmt}?lang=es"),
        alpha.get(f"/open311/v2/requests/NOPE.{fmt}"),
        create(alpha, cities["alpha"].key, fmt, service_code="light"),
        alpha.delete(f"/open311/v2/services.{fmt}"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 404, 200, 400]
    for response in answers:  # ...which the API neither refreshes nor replaces
        assert "Set-Cookie" not in response.headers, response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


def test_error_messages_still_follow_lang_without_a_session(alpha, cities, fresh_tenant_cache):
    response = alpha.get("/open311/v2/services/nope.json?lang=es")
    assert response.status_code == 404
    assert errors_of(response, "json")[0][1].startswith("No hay")
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_suspension_applies_to_the_very_next_call(alpha, cities, fmt, fresh_tenant_cache):
    key = cities["alpha"].key
    assert alpha.get(f"/open311/v2/services.{fmt}").status_code == 200  # the row is cached now
    with tenant_context(cities["alpha"].tenant.id):
        set_status(cities["alpha"].tenant, "suspended", "payment overdue")
        db.session.commit()
    refused = create(alpha, key, fmt, service_code="light")
    assert refused.status_code == 403 and "suspended" in errors_of(refused, fmt)[0][1]
    update = alpha.post(f"/open311/v2/servicerequestupdates.{fmt}", data={
        "api_key": key, "service_request_id": "ALP-26-000001", "update_id": "u1", "status": "FIXED"})
    assert update.status_code == 403
    assert alpha.get(f"/open311/v2/requests.{fmt}").status_code == 200  # reading goes on
    with tenant_context(cities["alpha"].tenant.id):
        set_status(cities["alpha"].tenant, "active", "paid")
        db.session.commit()
    assert create(alpha, key, fmt, service_code="light").status_code == 200


def _suspend_alpha_from_another_process(app, redis_url: str = "") -> None:
    """What another worker or the billing job does: change the row, and (with Redis) bump the version."""
    url = app.config["CIVIC311"].migration_database_url
    subprocess.run([sys.executable, "-c", (
        "import sys; from sqlalchemy import create_engine, text\n"
        "with create_engine(sys.argv[1]).begin() as c:\n"
        "    c.execute(text(\"UPDATE tenants SET status = 'suspended' WHERE slug = 'alpha'\"))\n"
        "if sys.argv[2]:\n"
        "    from redis import Redis; Redis.from_url(sys.argv[2]).incr(sys.argv[3])\n"), url, redis_url,
        VERSION_KEY], check=True)


def test_a_change_made_by_another_process_applies_within_the_ttl(app, alpha, cities, fresh_tenant_cache):
    now = [1000.0]
    tenant_cache.clock = lambda: now[0]
    key = cities["alpha"].key
    assert alpha.get("/open311/v2/services.json").status_code == 200
    _suspend_alpha_from_another_process(app)  # with no word to this process, even through Redis
    now[0] += tenant_cache.ttl + 0.1
    refused = create(alpha, key, "json", service_code="light")
    assert refused.status_code == 403 and "suspended" in errors_of(refused, "json")[0][1]


@pytest.mark.skipif(not USE_REDIS, reason="needs Redis (CIVIC311_TEST_REDIS=1)")
def test_with_redis_another_process_change_applies_within_a_second(app, alpha, cities, fresh_tenant_cache):
    now = [1000.0]
    tenant_cache.clock = lambda: now[0]
    key = cities["alpha"].key
    assert alpha.get("/open311/v2/services.json").status_code == 200
    _suspend_alpha_from_another_process(app, REDIS_URL)
    now[0] += VERSION_CHECK_SECONDS + 0.1  # far below the TTL
    refused = create(alpha, key, "json", service_code="light")
    assert refused.status_code == 403 and "suspended" in errors_of(refused, "json")[0][1]


@pytest.mark.skipif(not USE_REDIS, reason="needs Redis (CIVIC311_TEST_REDIS=1)")
def test_a_change_in_this_process_is_announced_to_the_others(app, alpha, cities, fresh_tenant_cache):
    from redis import Redis

    before = int(Redis.from_url(REDIS_URL).get(VERSION_KEY) or 0)
    with tenant_context(cities["alpha"].tenant.id):
        set_status(cities["alpha"].tenant, "suspended", "payment overdue")
        db.session.commit()
    assert int(Redis.from_url(REDIS_URL).get(VERSION_KEY) or 0) > before


def test_a_canceled_city_disappears_at_once_and_a_new_city_appears_at_once(alpha, bravo, cities, on_host,
                                                                           fresh_tenant_cache):
    assert alpha.get("/open311/v2/services.json").status_code == 200
    assert on_host("charlie.localhost").get("/open311/v2/services.json").status_code == 404
    with tenant_context(cities["alpha"].tenant.id):
        set_status(cities["alpha"].tenant, "canceled", "closed the account")
        db.session.commit()
    gone = alpha.get("/open311/v2/services.json")
    assert gone.status_code == 404 and errors_of(gone, "json")[0][0] == 404
    from civic311.tenants.service import create_tenant

    create_tenant(slug="charlie", name="Charlieton")
    db.session.commit()
    assert on_host("charlie.localhost").get("/open311/v2/services.json").status_code == 200
    # Each host still gets its own city: bravo's answers are bravo's.
    services = json.loads(bravo.get("/open311/v2/services.json").data)
    assert {s["service_code"] for s in services} == {"pothole", "graffiti", "bulky", "light"}


def test_a_view_changing_the_tenant_in_place_does_not_change_the_cache(app, alpha, cities, fresh_tenant_cache):
    from flask import g

    assert alpha.get("/open311/v2/services.json").status_code == 200
    with app.test_request_context("/open311/v2/services.json", base_url="http://alpha.localhost"):
        app.preprocess_request()
        g.tenant.channels["api"] = False  # never flushed: the change must stay in this request
        db.session.rollback()
        db.session.expunge_all()  # the next request has a session of its own, as in production
    assert create(alpha, cities["alpha"].key, "json", service_code="light").status_code == 200


@pytest.mark.skipif(BACKEND != "postgres", reason="needs server connections that can be cut")
def test_a_pooled_connection_cut_while_idle_is_replaced_not_a_500(app, alpha, cities, monkeypatch):
    """No ping per request, yet a connection the database dropped while it sat idle never fails a call."""
    from sqlalchemy import create_engine, text

    from civic311.web import pool_liveness

    assert alpha.get("/open311/v2/services.json").status_code == 200  # the pool holds a connection now
    monkeypatch.setattr(pool_liveness, "IDLE_PING_SECONDS", 0.0)  # it has been idle "long enough"
    owner = create_engine(app.config["CIVIC311"].migration_database_url)
    with owner.begin() as conn:
        cut = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = 'civic311_app' AND datname = current_database()")).scalar()
    owner.dispose()
    assert cut >= 1
    try:
        response = alpha.get("/open311/v2/services.json")
        assert response.status_code == 200, response.data
    finally:
        db.engine.dispose()  # the other cut connections must not reach the next test
