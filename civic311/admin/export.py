"""A city's full export: every row it owns as JSON and CSV, its staff list and its photos, in one zip.

Built in a job (a large city takes a while); the archive goes to storage under the city's own prefix.
Secrets (password and key hashes, tokens) are left out: they are useless outside and dangerous inside.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
import zipfile
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from civic311 import audit
from civic311.accounts.models import Membership, User
from civic311.actor import current_actor
from civic311.admin.models import DataExport
from civic311.db import db, utcnow
from civic311.jobs import enqueue_after_commit
from civic311.tenancy import TenantScoped, tenant_context
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.export")

SECRET_MARKERS = ("hash", "secret", "token")
TENANT_FIELDS = ("slug", "name", "status", "timezone", "locales", "default_locale", "display_name", "phone",
                 "hours_text", "contact_email", "welcome_text", "working_hours", "channels", "plan_code",
                 "created_at", "canceled_at")


def request_export(tenant: Tenant) -> DataExport:
    """Queue a full export of the current city (must run inside its tenant context)."""
    export = DataExport(requested_by=current_actor().label)
    db.session.add(export)
    db.session.flush()
    audit.record("export.requested", target=export)
    db.session.flush()
    enqueue_after_commit("civic311.admin.export:build_export", tenant.id, str(export.id), queue="imports",
                         job_id=f"export-{export.id}", timeout=3600)
    return export


def tenant_tables() -> list:
    """Every tenant-owned table, parents before children."""
    scoped = {m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)}
    return [t for t in db.metadata.sorted_tables if t.name in scoped]


def _plain(value):
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _is_secret(column_name: str) -> bool:
    return any(marker in column_name for marker in SECRET_MARKERS)


def build_export(tenant_id: uuid.UUID, export_id: str) -> str:
    """Job: write the archive. Safe to run twice (a ready export is left alone)."""
    export = db.session.scalar(select(DataExport).where(DataExport.id == uuid.UUID(export_id)))
    if export is None or export.status == "ready":
        return "skipped"
    tenant = db.session.get(Tenant, tenant_id)
    try:
        data, rows, photos = archive_bytes(tenant)
        from civic311.platform.storage import get_storage

        key = f"t/{tenant_id}/exports/{export.id}.zip"
        get_storage().put(key, data, "application/zip")
    except Exception as exc:
        log.exception("export %s failed", export_id)
        export.status = "failed"
        export.error = f"{type(exc).__name__}: {exc}"[:2000]
        return "failed"
    export.status, export.storage_key, export.size = "ready", key, len(data)
    export.row_count, export.photo_count, export.finished_at = rows, photos, utcnow()
    return "ready"


def archive_bytes(tenant: Tenant) -> tuple[bytes, int, int]:
    buffer = io.BytesIO()
    rows_total = photos = 0
    with tenant_context(tenant.id), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = {"city": {f: _plain(getattr(tenant, f)) for f in TENANT_FIELDS},
                    "exported_at": utcnow().isoformat(), "tables": {}}
        for table in tenant_tables():
            columns = [c.name for c in table.columns if not _is_secret(c.name)]
            result = db.session.execute(
                select(*(table.c[name] for name in columns)).where(table.c.tenant_id == tenant.id)
            )
            rows = [{k: _plain(v) for k, v in row._mapping.items()} for row in result]
            manifest["tables"][table.name] = len(rows)
            rows_total += len(rows)
            archive.writestr(f"data/{table.name}.json", json.dumps(rows, indent=1, ensure_ascii=False))
            archive.writestr(f"data/{table.name}.csv", _csv(columns, rows))
        staff = [
            {"email": u.email, "name": u.name, "role": m.role, "revoked_at": _plain(m.revoked_at)}
            for m, u in db.session.execute(select(Membership, User).join(User, Membership.user_id == User.id))
        ]
        archive.writestr("data/staff.json", json.dumps(staff, indent=1, ensure_ascii=False))
        photos = _add_photos(archive)
        manifest["photos"] = photos
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
        archive.writestr("README.txt", (
            f"Everything civic311 holds for {tenant.title}.\n"
            "data/<table>.json and .csv: one file per table; manifest.json: counts and city settings;\n"
            "photos/: the photos residents and staff attached, named by their storage key.\n"
        ))
    return buffer.getvalue(), rows_total, photos


def _csv(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                         for k, v in row.items()})
    return out.getvalue()


def _add_photos(archive: zipfile.ZipFile) -> int:
    from civic311.platform.models import Attachment
    from civic311.platform.storage import StorageError, get_storage

    storage = get_storage()
    count = 0
    for attachment in db.session.scalars(select(Attachment)):
        try:
            archive.writestr(f"photos/{attachment.storage_key.split('/', 2)[-1]}", storage.get(attachment.storage_key))
            count += 1
        except StorageError:
            log.warning("photo %s missing from storage; left out of the export", attachment.storage_key)
    return count


def export_bytes(export: DataExport) -> bytes:
    from civic311.platform.storage import get_storage

    return get_storage().get(export.storage_key)
