"""A city's full export: built in a job, kept in storage, downloadable by its admins and the platform's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import db
from civic311.tenancy import TenantScoped

EXPORT_STATUSES = ("queued", "ready", "failed")


class DataExport(TenantScoped, db.Model):
    __tablename__ = "data_exports"

    status: Mapped[str] = mapped_column(String(16), default="queued")
    requested_by: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None]
    row_count: Mapped[int | None]
    photo_count: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
