"""The portal's periodic housekeeping: report drafts nobody finished are forgotten after a day.

Register in civic311/platform/periodic.py PERIODIC_JOBS:
    PeriodicJob("portal-drafts", "civic311.portal.jobs:purge_stale_drafts", 3600)
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete

from civic311.db import db, utcnow
from civic311.portal.models import ReportDraft
from civic311.tenancy import all_tenants

DRAFT_LIFETIME = timedelta(days=1)


def purge_stale_drafts(tenant_id: uuid.UUID | None = None) -> int:
    """Job: delete drafts untouched for a day (in every city; a draft holds no one's filed request)."""
    with all_tenants(reason="portal: purge report drafts untouched for a day"):
        result = db.session.execute(delete(ReportDraft).where(ReportDraft.updated_at < utcnow() - DRAFT_LIFETIME))
    db.session.commit()
    return result.rowcount or 0
