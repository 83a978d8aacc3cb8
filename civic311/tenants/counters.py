"""Per-city counters (tracking numbers). One row per counter, incremented under the row's lock, so
concurrent intake never hands out a number twice."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import db
from civic311.tenancy import TenantScoped


class Counter(TenantScoped, db.Model):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(default=0)


def next_value(name: str) -> int:
    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    value = db.session.execute(stmt).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.add(Counter(name=name, value=1))
        return 1
    except IntegrityError:  # another transaction created it first: increment theirs
        return db.session.execute(stmt).scalar()


def peek(name: str) -> int:
    return db.session.scalar(select(Counter.value).where(Counter.name == name)) or 0
