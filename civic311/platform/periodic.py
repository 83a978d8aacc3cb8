"""The one table of periodic jobs, and the loop that enqueues them.

Why not rq's CronScheduler: its `start()` installs signal handlers, so it must own a process's main
thread (the worker needs it), and two worker processes would each enqueue every job. Here a daemon
thread beside the worker ticks every few seconds and enqueues a job only when it wins a Redis key
that lives as long as the job's interval: any number of workers, one run per interval.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask

log = logging.getLogger("civic311.periodic")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    path: str  # dotted path of job(tenant_id=None)
    every_seconds: int
    queue: str = "default"
    timeout: int = 240


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("outbox-sweep", "civic311.platform.outbox:sweep", 60),
    PeriodicJob("sla-escalation", "civic311.platform.escalation:run_escalation", 300),
    PeriodicJob("billing-usage", "civic311.billing.jobs:report_usage", 3600, "billing"),
    PeriodicJob("billing-grace", "civic311.billing.jobs:enforce_grace_periods", 3600, "billing"),
    PeriodicJob("billing-webhook-retry", "civic311.billing.webhooks:retry_failed", 300, "billing"),
    PeriodicJob("retention", "civic311.admin.retention:run_retention", 3600),
    PeriodicJob("portal-drafts", "civic311.portal.jobs:purge_stale_drafts", 3600),
    PeriodicJob("domain-recheck", "civic311.tenants.domains:recheck_unverified", 3600),
)


def enqueue_due(app: Flask, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> list[str]:
    """Enqueue each job whose interval has passed (across every process). Returns the names enqueued."""
    from civic311.jobs import redis_connection, rq_queue

    conn = redis_connection(app)
    enqueued = []
    for job in jobs:
        if not conn.set(f"civic311:periodic:{job.name}", str(time.time()), nx=True, ex=job.every_seconds):
            continue
        rq_queue(app, job.queue).enqueue(
            "civic311.jobs.run_job", job.path, None, job_timeout=job.timeout, result_ttl=3600,
            failure_ttl=7 * 24 * 3600, description=f"periodic {job.name}",
        )
        enqueued.append(job.name)
    return enqueued


def run_inline(app: Flask, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> dict[str, object]:
    """Run every periodic job now in this process (the embedded mode's `flask` commands and tests)."""
    from civic311.jobs import run_job_in_app

    return {job.name: run_job_in_app(app, job.path, None) for job in jobs}


class InlineSchedulerThread(threading.Thread):
    """The embedded mode's scheduler (no Redis): runs each job in this process when it falls due."""

    def __init__(self, app: Flask, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS, tick_seconds: float = 15.0):
        super().__init__(name="civic311-periodic-inline", daemon=True)
        self.app, self.jobs, self.tick = app, jobs, tick_seconds
        self.last_run: dict[str, float] = {}
        self.stopping = threading.Event()

    def run_due(self, now: float | None = None) -> list[str]:
        from civic311.jobs import run_job_in_app

        now = time.time() if now is None else now
        ran = []
        for job in self.jobs:
            if now - self.last_run.get(job.name, 0.0) < job.every_seconds:
                continue
            self.last_run[job.name] = now
            try:
                run_job_in_app(self.app, job.path, None)
                ran.append(job.name)
            except Exception:  # one failing job must not stop the others or the thread
                log.exception("periodic job %s failed", job.name)
        return ran

    def run(self) -> None:
        while not self.stopping.is_set():
            self.run_due()
            self.stopping.wait(self.tick)

    def stop(self) -> None:
        self.stopping.set()


class SchedulerThread(threading.Thread):
    def __init__(self, app: Flask, tick_seconds: float = 5.0):
        super().__init__(name="civic311-periodic", daemon=True)
        self.app = app
        self.tick = tick_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                names = enqueue_due(self.app)
                if names:
                    log.info("enqueued periodic jobs: %s", ", ".join(names))
            except Exception:  # Redis blips must not kill the thread; the next tick tries again
                log.exception("periodic scheduler tick failed")
            self.stopping.wait(self.tick)

    def stop(self) -> None:
        self.stopping.set()
