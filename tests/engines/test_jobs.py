"""Jobs: Redis down loses nothing; the sweep delivers later; RQ workers run, retry and record failures."""

from __future__ import annotations

import contextlib
import os

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.jobs import run_job_in_app
from civic311.platform import outbox
from civic311.platform.models import OutboxMessage, ServiceRequest
from civic311.platform.periodic import PERIODIC_JOBS
from civic311.tenancy import tenant_context
from tests.engines.helpers import file, pothole_category

needs_redis = pytest.mark.skipif(os.environ.get("CIVIC311_TEST_REDIS") != "1", reason="needs the local Redis")


def test_redis_down_intake_saves_the_request_and_the_sweep_delivers(app, two_tenants, sink, redis_down):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        req = file()
        db.session.commit()  # enqueueing fails after the commit: logged, not raised
        number = req.number
    db.session.expire_all()
    with tenant_context(a.id):
        assert db.session.scalars(select(ServiceRequest.number)).all() == [number]
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert message.status == "pending"
    assert sink.messages == []
    # The periodic sweep runs (here directly; the worker's scheduler runs it every minute).
    delivered = run_job_in_app(app, "civic311.platform.outbox:sweep", None, 0)
    assert delivered == 1
    [mail] = sink.to("rosa@example.com")
    assert number in mail["Subject"]
    assert run_job_in_app(app, "civic311.platform.outbox:sweep", None, 0) == 0  # nothing left, nothing resent
    assert len(sink.messages) == 1


def test_sweep_leaves_fresh_rows_to_their_own_job(app, two_tenants, redis_down):
    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        file()
        db.session.commit()
    assert run_job_in_app(app, "civic311.platform.outbox:sweep", None) == 0  # younger than 30 s


def test_a_failing_handler_backs_off_and_is_marked_failed_in_the_end(app, two_tenants, monkeypatch):
    monkeypatch.setattr(app.config["CIVIC311"], "redis_url", "")
    monkeypatch.setitem(outbox.HANDLERS, "boom", "tests.engines.test_jobs:_explode")
    a, _ = two_tenants
    with tenant_context(a.id):
        outbox.add("boom", {}, dedupe_key="boom:1")
        db.session.commit()  # the inline run fails once
        message = db.session.scalars(select(OutboxMessage)).one()
        assert message.attempts >= 1 and "kaput" in message.last_error
        assert message.available_at > message.created_at  # backed off
        message_id = str(message.id)
    for _ in range(outbox.MAX_ATTEMPTS):
        with contextlib.suppress(RuntimeError):
            run_job_in_app(app, "civic311.platform.outbox:deliver", str(a.id), message_id)
    db.session.expire_all()
    with tenant_context(a.id):
        assert db.session.scalars(select(OutboxMessage.status)).one() == "failed"


def _explode(tenant_id, payload):
    raise RuntimeError("kaput")


def test_one_table_lists_the_periodic_jobs():
    from civic311.jobs import resolve

    names = {j.name: j.every_seconds for j in PERIODIC_JOBS}
    assert names["outbox-sweep"] == 60 and names["sla-escalation"] == 300
    assert {"billing-usage", "billing-grace", "billing-webhook-retry", "retention", "portal-drafts",
            "domain-recheck"} <= set(names)
    for job in PERIODIC_JOBS:  # every path names a real function
        assert callable(resolve(job.path)), job.path


def test_the_embedded_scheduler_runs_each_job_when_due(app):
    """Without Redis, `civic311 demo` and `civic311 periodic --loop` run the table in-process."""
    from civic311.platform.periodic import InlineSchedulerThread

    scheduler = InlineSchedulerThread(app)
    first = scheduler.run_due(now=1_000_000.0)
    assert set(first) == {j.name for j in PERIODIC_JOBS}
    assert scheduler.run_due(now=1_000_030.0) == []  # nothing is due again within its interval
    assert scheduler.run_due(now=1_000_061.0) == ["outbox-sweep"]


@needs_redis
def test_rq_worker_runs_jobs_and_keeps_failures_visible(app, two_tenants, sink):
    from civic311.jobs import JobSpec, dispatch, rq_queue
    from civic311.worker import failed_jobs, run_worker

    a, _ = two_tenants
    with tenant_context(a.id):
        pothole_category()
        file()
        db.session.commit()  # enqueued on "notifications", not run yet
        assert sink.messages == []
        assert rq_queue(app, "notifications").count == 1
        dispatch(JobSpec("tests.engines.test_jobs:_explode", a.id, ({},), retries=0))
    run_worker(app, ["default", "notifications"], with_scheduler=False, burst=True)
    assert len(sink.to("rosa@example.com")) == 1
    [failure] = failed_jobs(app, "default")
    assert failure["what"] == "tests.engines.test_jobs:_explode" and "kaput" in failure["error"]


@needs_redis
def test_periodic_jobs_are_enqueued_once_per_interval_across_processes(app):
    from civic311.jobs import rq_queue
    from civic311.platform.periodic import enqueue_due

    assert sorted(enqueue_due(app)) == sorted(j.name for j in PERIODIC_JOBS)
    assert enqueue_due(app) == []  # a second worker's scheduler in the same minute
    assert rq_queue(app, "default").count == sum(1 for j in PERIODIC_JOBS if j.queue == "default")
