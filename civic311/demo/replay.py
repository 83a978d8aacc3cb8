"""Replay the demo's requests: file each one through intake, then move it through the lifecycle.

The rows come from `data/requests.json` (built from real LA and NYC 311 rows by
scripts/build_demo_seed.py). Every request enters through `intake.file_request` and every change goes
through `lifecycle`, exactly as in production; only the clock differs. Lifecycle stamps each change
with the wall clock, so while replaying six weeks of history the demo lends it a clock set to the
moment each change happened (`_at`), and dates the audit rows the same way.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cache
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from civic311.actor import Actor, acting_as
from civic311.audit import AuditEvent
from civic311.db import db, utcnow
from civic311.platform import lifecycle, outbox, sla, surveys
from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request
from civic311.platform.models import OutboxMessage, ServiceRequest
from civic311.tenants.models import Tenant

SEED_FILE = Path(__file__).resolve().parent / "data" / "requests.json"


@cache
def seed_rows() -> tuple[dict, ...]:
    with SEED_FILE.open(encoding="utf-8") as fh:
        return tuple(json.load(fh)["rows"])


@dataclass
class Staff:
    """Who does what in a city's replay: `workers` acknowledge, work, close and are assigned requests;
    `desk` takes walk-ins, `agent` phone calls. A worker limited to some departments (`limited_to`, by
    actor label) only ever touches those departments' requests, as the console would allow."""

    workers: list[Actor]
    desk: Actor
    agent: Actor | None = None
    limited_to: dict[str, set] = field(default_factory=dict)  # actor label -> department ids

    def for_request(self, req: ServiceRequest) -> list[Actor]:
        allowed = [w for w in self.workers if w.label not in self.limited_to
                   or req.department_id in self.limited_to[w.label]]
        return allowed or [self.desk]


@dataclass
class ReplayStats:
    filed: int = 0
    closed: int = 0
    merged: int = 0
    reopened: int = 0
    open: int = 0


def replay_city(tenant: Tenant, bounds: tuple[float, float, float, float], staff: Staff,
                now: datetime | None = None, limit: int | None = None) -> ReplayStats:
    """File and progress this city's demo requests (the first `limit` of them, if given).
    `bounds` = (south, west, north, east)."""
    now = now or utcnow()
    rng = random.Random(f"demo-{tenant.slug}")
    rows = [r for r in seed_rows() if r["city"] == tenant.slug]
    if limit is not None:
        kept = {r["src"] for r in rows[:limit]}
        rows = [r for r in rows if r["src"] in kept or r.get("dup_of") in kept][: limit + 8]
    rows.sort(key=lambda r: _filed_at(tenant, r, now))
    stats = ReplayStats()
    filed: dict[str, tuple[dict, ServiceRequest]] = {}
    with _replay_mode():
        _replay(tenant, rows, bounds, staff, rng, now, stats, filed)
    db.session.flush()
    stats.open = len(db.session.scalars(select(ServiceRequest).where(ServiceRequest.status != "closed")).all())
    _forget_side_effects()
    return stats


def _replay(tenant: Tenant, rows: list[dict], bounds: tuple[float, float, float, float], staff: Staff,
            rng: random.Random, now: datetime, stats: ReplayStats, filed: dict) -> None:
    for row in rows:
        filed[row["src"]] = (row, _file(tenant, row, bounds, staff, now))
        stats.filed += 1
    # Merges first: the original must still be open when its duplicate is merged into it.
    for row, req in filed.values():
        if row.get("dup_of") and row["dup_of"] in filed:
            when = req.requested_at + timedelta(hours=row["merge_h"])
            original = filed[row["dup_of"]][1]
            if when <= now and original.is_open:
                with _at(when), acting_as(rng.choice(staff.for_request(original))):
                    lifecycle.merge(req, original)
                stats.merged += 1
    for row, req in filed.values():
        if not row.get("dup_of"):
            _progress(req, row, staff, rng, now, stats)


def _filed_at(tenant: Tenant, row: dict, now: datetime) -> datetime:
    """`d` days ago at the real row's time of day, in the city's time zone (never in the future)."""
    zone = ZoneInfo(tenant.timezone)
    local_day = now.astimezone(zone).date() - timedelta(days=row["d"])
    when = datetime.combine(local_day, time(0), zone) + timedelta(seconds=row["tod"])
    while when > now - timedelta(minutes=20):
        when -= timedelta(days=1)
    return when.astimezone(UTC)


def _file(tenant: Tenant, row: dict, bounds: tuple[float, float, float, float], staff: Staff,
          now: datetime) -> ServiceRequest:
    south, west, north, east = bounds
    contact = row.get("contact") or {}
    actor = {"phone": staff.agent or staff.desk, "walk_in": staff.desk}.get(
        row["ch"], Actor(label=contact.get("name") or "Resident"))
    submission = IntakeSubmission(
        service_code=row["code"], channel=row["ch"], answers=row["answers"], description=row["desc"],
        location=Location(lat=round(south + row["y"] * (north - south), 6),
                          lng=round(west + row["x"] * (east - west), 6), address=row["addr"]),
        contact=Contact(name=contact.get("name"), email=contact.get("email"), phone=contact.get("phone")),
        anonymous=row["anon"], locale=row["loc"], requested_at=_filed_at(tenant, row, now),
        external_id=row["src"], notify=False,
    )
    with acting_as(actor):
        return file_request(submission).request


def _progress(req: ServiceRequest, row: dict, staff: Staff, rng: random.Random, now: datetime,
              stats: ReplayStats) -> None:
    """Acknowledge, assign, work, reply, close and maybe reopen, each at its own time, up to now."""
    start = req.requested_at
    candidates = staff.for_request(req)
    worker = rng.choice(candidates)

    def moment(hours: float | None) -> datetime | None:
        if hours is None:
            return None
        when = start + timedelta(hours=hours)
        return when if when <= now else None

    ack = moment(row.get("ack_h"))
    if ack is None:
        return
    with _at(ack), acting_as(worker):
        lifecycle.acknowledge(req)
        if row.get("assign"):
            lifecycle.assign(req, rng.choice(candidates).user_id)
    work = moment(row.get("work_h"))
    close_at = moment(row.get("close_h"))
    if work is not None and (close_at is None or work < close_at):
        with _at(work), acting_as(worker):
            lifecycle.set_status(req, "in_progress", message=_in_progress_message(row))
            if rng.random() < 0.2:
                lifecycle.internal_note(req, rng.choice(INTERNAL_NOTES))
    if row.get("reply"):
        reply_at = moment((row["ack_h"] + (row.get("close_h") or row["ack_h"] + 8)) / 2)
        if reply_at is not None:
            with _at(reply_at), acting_as(worker):
                lifecycle.public_reply(req, row["reply"])
    if close_at is None:
        return
    with _at(close_at), acting_as(worker):
        lifecycle.close(req, row["outcome"] or "resolved", note=row.get("note") or _close_note(row))
    stats.closed += 1
    if req.reporter_email and rng.random() < 0.3:
        _answer_survey(req, close_at + timedelta(hours=rng.uniform(1, 30)), rng, now)
    reopen_at = moment(row.get("reopen_h"))
    if reopen_at is not None:
        with _at(reopen_at), acting_as(Actor(label=req.reporter_name or "Resident")):
            lifecycle.reopen(req, rng.choice(REOPEN_REASONS), by_reporter=True, channel="portal")
        stats.reopened += 1
        again = reopen_at + timedelta(hours=rng.uniform(1, 20))
        if again <= now:
            with _at(again), acting_as(worker):
                lifecycle.acknowledge(req, message="Sorry about that: we have sent the crew back.")


_replay_clock: ContextVar[datetime | None] = ContextVar("civic311_demo_clock", default=None)


@contextmanager
def _at(when: datetime) -> Iterator[None]:
    """Lend the lifecycle a clock stopped at `when`; the audit rows written meanwhile get that time too."""
    token = _replay_clock.set(when)
    try:
        with mock.patch.object(lifecycle, "utcnow", lambda: when):
            yield
    finally:
        _replay_clock.reset(token)


@event.listens_for(AuditEvent, "init")
def _date_replayed_audit(target: AuditEvent, _args, _kwargs) -> None:
    when = _replay_clock.get()
    if when is not None:
        target.created_at = when


def _answer_survey(req: ServiceRequest, when: datetime, rng: random.Random, now: datetime) -> None:
    token = surveys.survey_token(req)
    if token is None or when > now:
        return
    score = rng.choice([5, 5, 5, 4, 4, 3, 2, 1]) if req.close_reason == "resolved" else rng.choice([1, 2, 3])
    survey = surveys.answer_survey(token, score, rng.choice(SURVEY_COMMENTS[score]))
    survey.answered_at = when


@contextmanager
def _replay_mode() -> Iterator[None]:
    """Residents of a replayed past are not e-mailed today, so lifecycle's notification rows are not
    written; and the national holidays are looked up once, not per request. Both keep seeding fast."""
    with mock.patch.object(outbox, "add", lambda *_args, **_kwargs: None), \
            mock.patch.object(sla, "national_holidays", cache(sla.national_holidays)):  # same answer 700 times
        yield


def _forget_side_effects() -> None:
    """Drop any job or outbox row the replay still queued (a survey, say): nothing is sent for the past."""
    db.session.info.pop("pending_jobs", None)
    for message in db.session.scalars(select(OutboxMessage)):  # entity query: tenant-filtered
        db.session.delete(message)


def _in_progress_message(row: dict) -> str:
    return {"bulky-item": "Scheduled for the next collection route.", "graffiti": "Added to the graffiti crew's list.",
            "pothole": "A repair crew is scheduled.", "tree-trim": "An arborist will assess the tree."
            }.get(row["code"], "")


def _close_note(row: dict) -> str:
    return {
        "resolved": "The crew completed the work.",
        "withdrawn": "Cancelled at the resident's request.",
        "referred": "This is handled by another agency; we forwarded your report to them.",
        "not_actionable": "We inspected and found nothing we can act on.",
        "no_access": "The crew could not get access to the location.",
    }.get(row.get("outcome") or "resolved", "")


INTERNAL_NOTES = [
    "Crew says this needs the bucket truck; rescheduled.",
    "Called the reporter, no answer. Left a voicemail.",
    "Same block as last month's report; check whether it is the same owner.",
    "Waiting on parts from the warehouse.",
]
REOPEN_REASONS = [
    "It is still there. Nobody came.",
    "The crew only cleared half of it.",
    "Fixed for a day and now it is back.",
    "Todavía está ahí, nadie vino.",
]
SURVEY_COMMENTS = {
    5: ["Fast and friendly, thank you!", "Fixed the next day. Great job.", ""],
    4: ["Took a few days but it got done.", ""],
    3: ["OK, but nobody told me it was scheduled.", ""],
    2: ["Took too long.", "They left a mess behind."],
    1: ["It was closed but nothing was done.", "Still not fixed."],
}

