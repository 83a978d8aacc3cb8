"""Per-city counters (tracking numbers). One row per counter, incremented under the row's lock, so
concurrent intake never hands out a number twice."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, String, UniqueConstraint, Uuid, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from civic311.db import db, new_id, utcnow
from civic311.tenancy import TenantScoped, current_tenant_id


class Counter(TenantScoped, db.Model):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(default=0)


# On the table, not the entity, built once, and run on the session's connection: these run on every
# intake, where an ORM-enabled statement paid for synchronising the session and for its hooks. The
# tenant is therefore named in each (row-level security checks it too).
_table = Counter.__table__
# Uuid() named here: when this module loads, tenant_id's type is still its foreign key's, unresolved.
_WHICH = (_table.c.tenant_id == bindparam("tenant", type_=Uuid()),
          _table.c.name == bindparam("counter", type_=_table.c.name.type))
_INCREMENT = update(_table).where(*_WHICH).values(value=_table.c.value + 1).returning(_table.c.value)
_VALUE = select(_table.c.value).where(*_WHICH)


def next_value(name: str) -> int:
    which = {"tenant": current_tenant_id(), "counter": name}
    value = db.session.connection().execute(_INCREMENT, which).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.add(Counter(name=name, value=1))
        return 1
    except IntegrityError:  # another transaction created it first: increment theirs
        return db.session.connection().execute(_INCREMENT, which).scalar()


def peek(name: str) -> int:
    return read(db.session.connection(), current_tenant_id(), name)


def bump(connection: Connection, tenant_id: uuid.UUID, name: str) -> None:
    """Add one to a counter of `tenant_id`, creating it at 1, in one statement on `connection`.

    For writers that cannot use the session (a flush event: the catalog's version), and where two
    transactions creating the same counter must both count (ON CONFLICT instead of a savepoint)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(_table).values(tenant_id=tenant_id, id=new_id(), name=name, value=1, created_at=utcnow())
    connection.execute(stmt.on_conflict_do_update(index_elements=[_table.c.tenant_id, _table.c.name],
                                                  set_={"value": _table.c.value + 1}))


def read(connection: Connection, tenant_id: uuid.UUID, name: str) -> int:
    """A counter's value (0 when it was never bumped), read on `connection` with an explicit tenant."""
    return connection.execute(_VALUE, {"tenant": tenant_id, "counter": name}).scalar() or 0
