"""After a cancellation: everything stays exportable for RETENTION_DAYS, with notices before the end,
then the city's data is deleted. The city row itself stays (canceled), so its name and history of
payments remain for the platform's books.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select

from civic311.actor import Actor, acting_as
from civic311.admin.export import tenant_tables
from civic311.audit import PlatformAuditEvent
from civic311.billing import plans
from civic311.billing.models import BillingNotice
from civic311.billing.service import send_notice
from civic311.db import db, utcnow
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant

log = logging.getLogger("civic311.retention")

PERIODIC = (("retention", "civic311.admin.retention:run_retention", 3600, "default"),)


def deletion_date(tenant: Tenant):
    return tenant.canceled_at + timedelta(days=plans.RETENTION_DAYS) if tenant.canceled_at else None


def run_retention(_tenant_id: None = None) -> dict[str, str]:
    """Periodic: notices at 30, 7 and 1 days before deletion, then deletion. Idempotent."""
    done: dict[str, str] = {}
    canceled = db.session.scalars(
        select(Tenant).where(Tenant.status == "canceled", Tenant.canceled_at.is_not(None))
    ).all()
    with acting_as(Actor.system("data retention")):
        for tenant in canceled:
            if _already_deleted(tenant):
                continue
            left = deletion_date(tenant) - utcnow()
            if left <= timedelta(0):
                delete_city_data(tenant)
                done[tenant.slug] = "deleted"
                continue
            for notice_days in sorted(plans.DELETION_NOTICE_DAYS):  # the nearest one that is due
                if left <= timedelta(days=notice_days):
                    if _send_deletion_notice(tenant, notice_days):
                        done[tenant.slug] = f"notice-{notice_days}"
                    break
    return done


def _already_deleted(tenant: Tenant) -> bool:
    return db.session.scalar(select(BillingNotice.id).where(
        BillingNotice.subject_tenant_id == tenant.id, BillingNotice.kind == f"data-deleted-{tenant.canceled_at:%Y%m%d}"
    )) is not None


def _send_deletion_notice(tenant: Tenant, days: int) -> bool:
    when = deletion_date(tenant)
    with force_locale(tenant.default_locale):
        subject = _("%(city)s: your civic311 data will be deleted in %(days)s days", city=tenant.title, days=days)
        text = _(
            "The civic311 subscription of %(city)s was canceled. All of the city's requests, photos and "
            "settings can still be exported from the billing page until %(date)s; after that date they are "
            "deleted and cannot be recovered. Subscribing again before then keeps everything.",
            city=tenant.title, date=f"{when:%Y-%m-%d}",
        )
    return send_notice(tenant, f"deletion-{days}d-{tenant.canceled_at:%Y%m%d}", subject, text)


def delete_city_data(tenant: Tenant) -> dict[str, int]:
    """Delete every row the city owns and its stored files. Irreversible: only ever after the notices."""
    from civic311.admin.models import DataExport
    from civic311.platform.models import Attachment
    from civic311.platform.storage import StorageError, get_storage

    counts: dict[str, int] = {}
    with tenant_context(tenant.id):
        keys = [k for pair in db.session.execute(select(Attachment.storage_key, Attachment.thumb_key)) for k in pair]
        keys += list(db.session.scalars(select(DataExport.storage_key)))
        for table in reversed(tenant_tables()):
            result = db.session.execute(delete(table).where(table.c.tenant_id == tenant.id))
            counts[table.name] = result.rowcount or 0
        db.session.flush()
    storage = get_storage()
    for key in filter(None, keys):
        try:
            storage.delete(key)
        except StorageError:
            log.warning("could not delete %s", key)
    db.session.add(BillingNotice(subject_tenant_id=tenant.id, kind=f"data-deleted-{tenant.canceled_at:%Y%m%d}",
                                 subject="data deleted"))
    db.session.add(PlatformAuditEvent(actor_label="data retention", subject_tenant_id=tenant.id,
                                      action="tenant.data_deleted",
                                      details={k: v for k, v in counts.items() if v}))
    log.info("deleted the data of %s: %s rows", tenant.slug, sum(counts.values()))
    return counts
