"""Importing requests from a CSV export of an older system.

Upload (decoded and checked at once: a wrong encoding is refused with a clear error), map columns to
fields and the file's request types to categories, then a job files every row through intake (channel
"import", the file's time and id, no resident e-mails) and closes through the lifecycle the rows the
file says are closed. Re-running skips rows already imported (by external id), so the job is
idempotent. Progress is committed every batch so the progress page can show it.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from civic311 import audit
from civic311.actor import Actor, acting_as
from civic311.db import db, utcnow
from civic311.jobs import enqueue_after_commit
from civic311.tenancy import TenantScoped
from civic311.tenants.catalog import Category
from civic311.tenants.models import Tenant
from civic311.tenants.settings_service import SettingsError

FIELDS = ("external_id", "requested_at", "category", "description", "address", "zipcode", "lat", "lng",
          "status", "closed_at")
GUESSES = {
    "external_id": ("srnumber", "unique key", "case_enquiry_id", "service_request_id", "id", "request_id"),
    "requested_at": ("createddate", "created date", "open_dt", "requested_datetime", "requested_date", "created"),
    "category": ("requesttype", "complaint type", "type", "service_name", "service_code", "category"),
    "description": ("descriptor", "case_title", "description", "details"),
    "address": ("address", "incident address", "location", "street address"),
    "zipcode": ("zipcode", "incident zip", "location_zipcode", "zip", "zip_code"),
    "lat": ("latitude", "lat"),
    "lng": ("longitude", "lng", "lon", "long"),
    "status": ("status", "case_status"),
    "closed_at": ("closeddate", "closed date", "closed_dt", "closed"),
}
CLOSED_WORDS = {"closed", "resolved", "completed", "complete", "done", "cancelled", "canceled"}
WITHDRAWN_WORDS = {"cancelled", "canceled"}
MAX_BYTES = 20 * 1024 * 1024
MAX_REPORTED = 500
BATCH = 100


class ImportJob(TenantScoped, db.Model):
    """One uploaded file and what became of its rows."""

    __tablename__ = "import_jobs"

    filename: Mapped[str] = mapped_column(String(200))
    encoding: Mapped[str] = mapped_column(String(20), default="utf-8")
    content: Mapped[str] = mapped_column(Text)  # the decoded CSV text: any worker can read it
    headers: Mapped[list] = mapped_column(default=list)
    mapping: Mapped[dict] = mapped_column(default=dict)  # field -> column name
    category_map: Mapped[dict] = mapped_column(default=dict)  # the file's type -> service_code ("" skips)
    status: Mapped[str] = mapped_column(String(16), default="uploaded")  # uploaded, queued, running, done, failed
    total_rows: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    skip_reasons: Mapped[dict] = mapped_column(default=dict)  # reason -> count
    skipped_rows: Mapped[list] = mapped_column(default=list)  # [{"row": n, "id": ..., "reason": ...}], capped
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


# --- upload and mapping ---------------------------------------------------------------------------

def decode(raw: bytes, encoding: str) -> str:
    if not raw:
        raise SettingsError("file", _("The file is empty."))
    if len(raw) > MAX_BYTES:
        raise SettingsError("file", _("The file is larger than 20 MB. Split it and import the parts."))
    try:
        text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except (UnicodeDecodeError, LookupError):
        raise SettingsError("file", _(
            "This file is not %(enc)s text. Save it from your spreadsheet as “CSV UTF-8”, or choose the "
            "encoding it was saved in.", enc=encoding.upper())) from None
    if "\x00" in text[:4096]:
        raise SettingsError("file", _("This looks like a spreadsheet or UTF-16 file, not CSV text. Save it as "
                                      "“CSV UTF-8” and upload that."))
    return text


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = headers
    return headers, list(reader)


def guess_mapping(headers: list[str]) -> dict[str, str]:
    lower = {h.lower(): h for h in headers}
    mapping = {}
    for field, names in GUESSES.items():
        found = next((lower[n] for n in names if n in lower), None)
        if found and found not in mapping.values():
            mapping[field] = found
    return mapping


def guess_category_map(values: list[str]) -> dict[str, str]:
    categories = list(db.session.scalars(select(Category).where(Category.active.is_(True))))
    by_name = {c.name.lower(): c.service_code for c in categories}
    by_code = {c.service_code.lower(): c.service_code for c in categories}
    return {v: by_name.get(v.lower()) or by_code.get(v.lower()) or "" for v in values}


def upload(filename: str, raw: bytes, encoding: str, created_by_id: uuid.UUID | None) -> ImportJob:
    text = decode(raw, encoding)
    headers, rows = read_rows(text)
    if len(headers) < 2 or not rows:
        raise SettingsError("file", _("This file has no header line and rows, so it is not a CSV export."))
    mapping = guess_mapping(headers)
    job = ImportJob(filename=filename[:200] or "import.csv", encoding=encoding, content=text, headers=headers,
                    mapping=mapping, total_rows=len(rows), created_by_id=created_by_id)
    db.session.add(job)
    db.session.flush()
    if mapping.get("category"):
        job.category_map = guess_category_map(type_values(job))
    audit.record("import.uploaded", target=job, details={"filename": job.filename, "rows": len(rows)})
    return job


def type_values(job: ImportJob, limit: int = 60) -> list[str]:
    """The file's distinct request types, most frequent first."""
    column = job.mapping.get("category")
    if not column:
        return []
    _headers, rows = read_rows(job.content)
    counts = Counter((row.get(column) or "").strip() for row in rows)
    counts.pop("", None)
    return [value for value, _n in counts.most_common(limit)]


def set_mapping(job: ImportJob, mapping: dict[str, str], category_map: dict[str, str]) -> None:
    if job.status != "uploaded":
        raise SettingsError("mapping", _("This import has already started."))
    clean = {f: c for f, c in mapping.items() if f in FIELDS and c in job.headers}
    for needed in ("external_id", "requested_at", "category"):
        if needed not in clean:
            raise SettingsError(needed, _("Choose the column for this field."))
    codes = set(db.session.scalars(select(Category.service_code)))
    job.mapping = clean
    job.category_map = {k: v for k, v in category_map.items() if not v or v in codes}
    audit.record("import.mapped", target=job, details={"mapping": clean})


def preview(job: ImportJob, city: Tenant, rows: int = 8) -> list[dict]:
    """The first rows as they would be read, each with the problem that would skip it."""
    _headers, data = read_rows(job.content)
    result = []
    for number, row in enumerate(data[:rows], start=2):
        parsed, problem = parse_row(job, city, row)
        result.append({"row": number, "parsed": parsed, "problem": problem})
    return result


def start(job: ImportJob) -> None:
    if job.status != "uploaded":
        return
    job.status = "queued"
    audit.record("import.started", target=job, details={"filename": job.filename, "rows": job.total_rows})
    enqueue_after_commit("civic311.tenants.imports.run_import", job.tenant_id, str(job.id), queue="imports",
                         job_id=f"import-{job.id}", timeout=3600, retries=1)


# --- reading one row ------------------------------------------------------------------------------

def parse_time(value: str, tz: ZoneInfo) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                "%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(value, fmt)
            return moment.replace(tzinfo=tz)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _float(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number != 0 else None


def parse_row(job: ImportJob, city: Tenant, row: dict[str, str]) -> tuple[dict, str | None]:
    def cell(field: str) -> str:
        column = job.mapping.get(field)
        return (row.get(column) or "").strip() if column else ""

    tz = ZoneInfo(city.timezone)
    kind = cell("category")
    values = {
        "external_id": cell("external_id")[:64], "type": kind, "service_code": job.category_map.get(kind, ""),
        "requested_at": parse_time(cell("requested_at"), tz), "description": cell("description"),
        "address": cell("address") or None, "zipcode": cell("zipcode")[:10] or None,
        "lat": _float(cell("lat")), "lng": _float(cell("lng")),
        "closed": cell("status").lower() in CLOSED_WORDS if job.mapping.get("status") else bool(cell("closed_at")),
        "withdrawn": cell("status").lower() in WITHDRAWN_WORDS,
        "closed_at": parse_time(cell("closed_at"), tz),
    }
    if not values["external_id"]:
        return values, _("no id in the row")
    if values["requested_at"] is None:
        return values, _("the date it was filed is missing or unreadable")
    if not kind:
        return values, _("no request type in the row")
    if not values["service_code"]:
        return values, _("the type “%(type)s” is not mapped to a category", type=kind)
    if (values["lat"] is None) != (values["lng"] is None):
        values["lat"] = values["lng"] = None
    return values, None


# --- the job --------------------------------------------------------------------------------------

def run_import(tenant_id: uuid.UUID, job_id: str) -> None:
    job = db.session.get(ImportJob, (tenant_id, uuid.UUID(job_id)))
    if job is None or job.finished:
        return
    city = db.session.get(Tenant, tenant_id)
    job.status, job.started_at = "running", job.started_at or utcnow()
    db.session.commit()
    actor = Actor(label=f"CSV import {job.filename}", user_id=job.created_by_id)
    try:
        with acting_as(actor):
            _import_rows(job, city)
    except Exception as exc:  # a broken job says so on the progress page instead of spinning forever
        db.session.rollback()
        job = db.session.get(ImportJob, (tenant_id, uuid.UUID(job_id)))
        job.status, job.error, job.finished_at = "failed", f"{type(exc).__name__}: {exc}"[:1000], utcnow()
        db.session.commit()
        raise
    job.status, job.finished_at = "done", utcnow()
    audit.record("import.finished", actor=actor, target=job, details={
        "imported": job.imported, "closed": job.closed, "skipped": job.skipped})


def _import_rows(job: ImportJob, city: Tenant) -> None:
    from civic311.platform import lifecycle
    from civic311.platform.intake import Contact, IntakeError, IntakeSubmission, Location, file_request
    from civic311.platform.models import ServiceRequest

    seen = set(db.session.scalars(select(ServiceRequest.external_id).where(ServiceRequest.external_id.is_not(None))))
    reasons, skipped_rows = Counter(job.skip_reasons), list(job.skipped_rows)
    _headers, rows = read_rows(job.content)
    for index, row in enumerate(rows[job.processed:], start=job.processed):
        values, problem = parse_row(job, city, row)
        if problem is None and values["external_id"] in seen:
            problem = _("already imported (same id)")
        if problem is None:
            try:
                with db.session.begin_nested():
                    result = file_request(IntakeSubmission(
                        service_code=values["service_code"], channel="import", description=values["description"],
                        location=Location(lat=values["lat"], lng=values["lng"], address=values["address"],
                                          zipcode=values["zipcode"]),
                        contact=Contact(), requested_at=values["requested_at"], external_id=values["external_id"],
                        notify=False,
                    ))
                    if values["closed"]:
                        reason = "withdrawn" if values["withdrawn"] else "resolved"
                        event = lifecycle.close(result.request, reason, note=_("Closed in the previous system."),
                                                channel="import")
                        if values["closed_at"] and values["closed_at"] >= values["requested_at"]:
                            result.request.closed_at = event.at = values["closed_at"]
                            result.request.updated_at = values["closed_at"]
                        job.closed += 1
                seen.add(values["external_id"])
                job.imported += 1
            except IntakeError as exc:
                problem = "; ".join(e.message for e in exc.errors)
        if problem is not None:
            job.skipped += 1
            reasons[problem] += 1
            if len(skipped_rows) < MAX_REPORTED:
                skipped_rows.append({"row": index + 2, "id": values.get("external_id") or "", "reason": problem})
        job.processed = index + 1
        if job.processed % BATCH == 0:
            job.skip_reasons, job.skipped_rows = dict(reasons), list(skipped_rows)
            db.session.commit()  # progress is visible, and a retried job resumes from here
    job.skip_reasons, job.skipped_rows = dict(reasons), list(skipped_rows)
