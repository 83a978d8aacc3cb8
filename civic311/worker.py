"""`civic311 worker`: an RQ worker for civic311's queues, plus the periodic jobs in the same process.

Retries and backoff are set where jobs are enqueued (civic311.jobs: Retry(max=3, interval=[5, 30, 120]),
a timeout per job); rq's own scheduler (with_scheduler) moves retried jobs back onto their queue when
their wait is over. A job that fails for good lands in the queue's FailedJobRegistry (kept 7 days),
which `rq info` and `failed_jobs()` show.
"""

from __future__ import annotations

import logging
import os

from flask import Flask

from civic311.jobs import QUEUES, redis_connection

log = logging.getLogger("civic311.worker")


def run_worker(app: Flask, queues: list[str] | None = None, with_scheduler: bool = True, *,
               burst: bool = False) -> None:
    """Work the queues until stopped (or until empty with burst=True)."""
    from rq import Worker

    import civic311.jobs as jobs_module
    from civic311.platform.periodic import SchedulerThread

    names = [q.strip() for q in (queues or list(QUEUES)) if q.strip()]
    unknown = sorted(set(names) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(QUEUES)}")
    jobs_module._worker_app = app  # run_job reuses this app instead of building another
    os.register_at_fork(after_in_child=lambda: _forget_parent_connections(app))
    conn = redis_connection(app)
    worker = Worker(names, connection=conn, name=None)
    thread = None
    if with_scheduler:
        thread = SchedulerThread(app)
        thread.start()
    log.info("worker on %s (periodic jobs %s)", ", ".join(names), "on" if with_scheduler else "off")
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        if thread is not None:
            thread.stop()


def _forget_parent_connections(app: Flask) -> None:
    """rq runs each job in a forked child: it must not share the parent's database sockets."""
    from civic311.db import db

    with app.app_context():
        db.engine.dispose(close=False)


def failed_jobs(app: Flask, queue: str = "default") -> list[dict]:
    """The jobs that failed for good on a queue, newest first: id, what ran, and the error's last line."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    conn = redis_connection(app)
    registry = FailedJobRegistry(queue=Queue(queue, connection=conn))
    rows = []
    for job_id in reversed(registry.get_job_ids()):
        job = Job.fetch(job_id, connection=conn)
        info = (job.latest_result().exc_string if job.latest_result() else "") or ""
        rows.append({"id": job_id, "what": job.args[0] if job.args else job.func_name,
                     "error": info.strip().splitlines()[-1] if info.strip() else ""})
    return rows
