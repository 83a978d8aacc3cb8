"""Per-city counters (tracking numbers). One row per counter, incremented under the row's lock, so
concurrent intake never hands out a number twice."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import db, new_id, utcnow
from civic311.tenancy import TenantScoped, current_tenant_id


class Counter(TenantScoped, db.Model):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(default=0)


def next_value(name: str) -> int:
    # On the table, not the entity: an ORM-enabled UPDATE pays for synchronising the session, and
    # this runs on every intake. The tenant is therefore named here (row-level security checks it too).
    table = Counter.__table__
    stmt = (update(table).where(table.c.tenant_id == current_tenant_id(), table.c.name == name)
            .values(value=table.c.value + 1).returning(table.c.value))
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
    table = Counter.__table__
    return db.session.scalar(
        select(table.c.value).where(table.c.tenant_id == current_tenant_id(), table.c.name == name)) or 0


def bump(connection: Connection, tenant_id: uuid.UUID, name: str) -> None:
    """Add one to a counter of `tenant_id`, creating it at 1, in one statement on `connection`.

    For writers that cannot use the session (a flush event: the catalog's version), and where two
    transactions creating the same counter must both count (ON CONFLICT instead of a savepoint)."""
    table = Counter.__table__
    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(tenant_id=tenant_id, id=new_id(), name=name, value=1, created_at=utcnow())
    connection.execute(stmt.on_conflict_do_update(index_elements=[table.c.tenant_id, table.c.name],
                                                  set_={"value": table.c.value + 1}))


def read(connection: Connection, tenant_id: uuid.UUID, name: str) -> int:
    """A counter's value (0 when it was never bumped), read on `connection` with an explicit tenant."""
    table = Counter.__table__
    value = connection.execute(
        select(table.c.value).where(table.c.tenant_id == tenant_id, table.c.name == name)
    ).scalar()
    return value or 0
