"""Background work: enqueued only after the transaction that asked for it commits.

Embedded mode runs each job inline, in its own application context and transaction, right after the
commit (as a worker would, only sooner). With REDIS_URL set, jobs go to RQ with retries and backoff.
If Redis is down the job is merely logged as not enqueued: the outbox row that caused it is still
pending in the database, and the periodic sweep delivers it.

A job is a plain function named by its dotted path, whose first argument is the tenant id (or None
for platform-wide work); `run_job` gives it an app context and the tenant.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from civic311.tenancy import tenant_context

log = logging.getLogger("civic311.jobs")

QUEUES = ("default", "notifications", "media", "imports", "billing")


@dataclass
class JobSpec:
    path: str
    tenant_id: uuid.UUID | None
    args: tuple = ()
    queue: str = "default"
    job_id: str | None = None
    retries: int = 3
    timeout: int = 300
    kwargs: dict = field(default_factory=dict)


def enqueue_after_commit(
    path: str, tenant_id: uuid.UUID | None, *args: Any, queue: str = "default", job_id: str | None = None,
    retries: int = 3, timeout: int = 300,
) -> None:
    """Ask for `path(tenant_id, *args)` to run once the current transaction commits."""
    from civic311.db import db

    pending = db.session().info.setdefault("pending_jobs", [])
    pending.append(JobSpec(path, tenant_id, args, queue, job_id, retries, timeout))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    pending: list[JobSpec] = session.info.pop("pending_jobs", [])
    if pending:
        dispatch(*pending)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop("pending_jobs", None)


def dispatch(*specs: JobSpec) -> None:
    app = current_app._get_current_object()
    if app.config["CIVIC311"].redis_url:
        _enqueue_rq(app, specs)
    else:
        for spec in specs:
            _run_inline(app, spec)


def _run_inline(app: Flask, spec: JobSpec) -> None:
    try:
        run_job_in_app(app, spec.path, str(spec.tenant_id) if spec.tenant_id else None, *spec.args)
    except Exception:  # the outbox sweep retries; a failed side effect must not fail the user's request
        log.exception("inline job %s failed", spec.path)


def _enqueue_rq(app: Flask, specs: tuple[JobSpec, ...]) -> None:
    """All of one commit's jobs in one Redis pipeline: one round trip however many there are."""
    from rq import Retry

    try:
        with redis_connection(app).pipeline() as pipe:
            for spec in specs:
                rq_queue(app, spec.queue).enqueue_call(
                    "civic311.jobs.run_job",
                    args=(spec.path, str(spec.tenant_id) if spec.tenant_id else None, *spec.args),
                    job_id=spec.job_id,
                    retry=Retry(max=spec.retries, interval=[5, 30, 120][: max(spec.retries, 1)])
                    if spec.retries else None,
                    timeout=spec.timeout,
                    failure_ttl=7 * 24 * 3600,
                    pipeline=pipe,
                )
            pipe.execute()
    except Exception as exc:  # Redis down: the sweep will find the pending outbox rows
        log.warning("could not enqueue %s (%s); the outbox sweep will deliver them",
                    ", ".join(spec.path for spec in specs), exc)


def redis_connection(app: Flask):
    from redis import Redis

    conn = app.extensions.get("civic311_redis")
    if conn is None:
        conn = Redis.from_url(app.config["CIVIC311"].redis_url, socket_connect_timeout=2, socket_timeout=5)
        app.extensions["civic311_redis"] = conn
    return conn


def rq_queue(app: Flask, name: str = "default"):
    from rq import Queue

    return Queue(name, connection=redis_connection(app))


def resolve(path: str):
    module_name, _, attr = path.partition(":")
    if not attr:
        module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def run_job_in_app(app: Flask, path: str, tenant_id: str | None, *args: Any) -> Any:
    from civic311.db import db

    func = resolve(path)
    with app.app_context():
        try:
            if tenant_id is None:
                result = func(None, *args)
                db.session.commit()
            else:
                # Commit inside the tenant: the flush guard and row-level security need it.
                with tenant_context(uuid.UUID(tenant_id)):
                    result = func(uuid.UUID(tenant_id), *args)
                    db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


_worker_app: Flask | None = None


def run_job(path: str, tenant_id: str | None, *args: Any) -> Any:
    """The RQ entry point: builds the app once per worker process."""
    global _worker_app
    if _worker_app is None:
        from civic311.app import create_app

        _worker_app = create_app()
    return run_job_in_app(_worker_app, path, tenant_id, *args)
