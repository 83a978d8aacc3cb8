"""Login throttling: too many failed attempts for one e-mail or one address in 15 minutes are refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Index, String, delete, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import GlobalModel, db, utcnow

WINDOW = timedelta(minutes=15)


class LoginFailure(GlobalModel, db.Model):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_keys", "email", "ip", "created_at"),)

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))


def too_many(email: str, ip: str, limit: int) -> bool:
    since = utcnow() - WINDOW
    count = db.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.created_at >= since, or_(LoginFailure.email == email.lower(), LoginFailure.ip == ip))
    )
    return (count or 0) >= limit


def record_failure(email: str, ip: str) -> None:
    db.session.add(LoginFailure(email=email.lower(), ip=ip))


def clear(email: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email.lower()))
