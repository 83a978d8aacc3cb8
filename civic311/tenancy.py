"""The current tenant, and the layers that keep every query inside it.

1. One ContextVar holds the current tenant; reading it when unset raises.
2. `TenantScoped` gives a model `tenant_id` (not null, first column of the primary key).
3. Every ORM statement touching a tenant-scoped model is filtered by `with_loader_criteria`;
   new rows are stamped and a row of another tenant refuses to flush.
4. On PostgreSQL the tenant is also handed to row-level security for each transaction
   (`set_config('app.tenant_id', ..., true)`), so a forgotten filter still returns nothing.
Crossing tenants is possible only inside `all_tenants(reason=...)`, which logs why.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, declared_attr, mapped_column, with_loader_criteria

from civic311.db import new_id, utcnow

log = logging.getLogger("civic311.tenancy")

_current_tenant: ContextVar[uuid.UUID | None] = ContextVar("civic311_tenant", default=None)
_crossing_reason: ContextVar[str | None] = ContextVar("civic311_crossing", default=None)
_orm_filter_off: ContextVar[bool] = ContextVar("civic311_orm_filter_off", default=False)


class TenantNotSet(RuntimeError):
    """Tenant-owned data was touched with no tenant chosen: a bug, never a fallback to some default."""


class TenantMismatch(RuntimeError):
    """A row of one tenant was about to be written while another tenant is current."""


def current_tenant_id() -> uuid.UUID:
    tenant_id = _current_tenant.get()
    if tenant_id is None:
        raise TenantNotSet("no current tenant")
    return tenant_id


def tenant_id_or_none() -> uuid.UUID | None:
    return _current_tenant.get()


def crossing_reason() -> str | None:
    return _crossing_reason.get()


@contextmanager
def tenant_context(tenant_id: uuid.UUID) -> Iterator[uuid.UUID]:
    """Run a block as one tenant. Nested blocks restore the outer tenant on exit."""
    if not isinstance(tenant_id, uuid.UUID):
        tenant_id = uuid.UUID(str(tenant_id))
    token = _current_tenant.set(tenant_id)
    try:
        _announce_change()
        yield tenant_id
    finally:
        _current_tenant.reset(token)
        _announce_change()


def set_request_tenant(tenant_id: uuid.UUID | None) -> None:
    """For the web layer: the tenant of the request being served (reset at the end of each request)."""
    _current_tenant.set(tenant_id)
    _announce_change()


@contextmanager
def all_tenants(reason: str) -> Iterator[None]:
    """The one door between tenants: platform figures, sweeps, a user's list of cities."""
    if not reason.strip():
        raise ValueError("all_tenants needs a reason")
    log.info("crossing tenants: %s", reason)
    token = _crossing_reason.set(reason)
    try:
        _announce_change()
        yield
    finally:
        _crossing_reason.reset(token)
        _announce_change()


@contextmanager
def orm_filter_disabled_for_tests() -> Iterator[None]:
    """Switch layer 3 off so tests can prove layer 4 (row-level security) stands alone."""
    token = _orm_filter_off.set(True)
    try:
        yield
    finally:
        _orm_filter_off.reset(token)


class TenantScoped:
    """Mixin for every tenant-owned model: primary key (tenant_id, id), tenant_id first."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, index=True, sort_order=-200
        )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-100)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=90)


# --- layer 3: the ORM filter and the flush guard -------------------------------------------------

def _is_scoped(mapper) -> bool:
    return isinstance(mapper.class_, type) and issubclass(mapper.class_, TenantScoped)


_scoped_names_cache: tuple[int, frozenset[str]] = (-1, frozenset())


def _scoped_table_names() -> frozenset[str]:
    global _scoped_names_cache
    from civic311.db import db

    mappers = db.Model.registry.mappers
    if _scoped_names_cache[0] != len(mappers):
        _scoped_names_cache = (len(mappers), frozenset(m.local_table.name for m in mappers if _is_scoped(m)))
    return _scoped_names_cache[1]


def _touches_scoped_table(statement) -> bool:
    """`select(func.count()).select_from(Model)` names no entity in its columns: look at what it selects
    from and joins to as well (cheaply: no compilation, it runs for every statement)."""
    names = _scoped_table_names()
    candidates = list(getattr(statement, "_from_obj", ()))
    candidates += [join[0] for join in getattr(statement, "_setup_joins", ())]
    candidates += list(getattr(statement, "columns_clause_froms", ()))
    for element in candidates:
        element = getattr(element, "__table__", element)  # an ORM class given to select_from/join
        for table in getattr(element, "_from_objects", [element]):
            if getattr(table, "name", None) in names:
                return True
    return False


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    _sync_database_setting(state.session)
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria added to the parent statement propagate to these loads
    if not (state.is_select or state.is_update or state.is_delete):
        return
    # The cheap look at the statement's tables first: `all_mappers` builds the column descriptions of
    # the statement (a noticeable part of a fast API read); it is only needed for what the table names
    # miss (an aliased entity, an UPDATE or DELETE of a model).
    if not (_touches_scoped_table(state.statement) or any(_is_scoped(m) for m in state.all_mappers)):
        return
    if _crossing_reason.get() is not None or _orm_filter_off.get():
        return
    state.statement = state.statement.options(_tenant_criteria(current_tenant_id()))


@functools.lru_cache(maxsize=4096)
def _tenant_criteria(tenant_id: uuid.UUID):
    """The loader criteria of one tenant, built once per process (an option is immutable; building one
    analyses its lambda, which cost more than the rest of the hook)."""
    return with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)


@event.listens_for(TenantScoped, "init", propagate=True)
def _stamp_on_creation(target, args, kwargs) -> None:
    # Stamped when built, so a row made inside tenant_context() keeps its tenant if flushed after it.
    if kwargs.get("tenant_id") is None and _current_tenant.get() is not None:
        kwargs["tenant_id"] = _current_tenant.get()


@event.listens_for(Session, "before_flush")
def _stamp_and_guard(session: Session, flush_context, instances) -> None:
    _sync_database_setting(session)
    crossing = _crossing_reason.get() is not None
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, TenantScoped):
            _stamp_or_refuse(obj, crossing)
    if crossing:
        return
    for obj in session.deleted:
        if isinstance(obj, TenantScoped) and obj.tenant_id != current_tenant_id():
            raise TenantMismatch(f"{type(obj).__name__} of another tenant deleted")


def _stamp_or_refuse(obj: TenantScoped, crossing: bool) -> None:
    if obj.tenant_id is None:
        obj.tenant_id = current_tenant_id()
    elif not crossing and obj.tenant_id != current_tenant_id():
        raise TenantMismatch(f"{type(obj).__name__} of tenant {obj.tenant_id} written as {_current_tenant.get()}")


def guard_rows_written_without_flush(session: Session, objects) -> None:
    """What `before_flush` does, for rows a caller inserts itself (`platform/row_writer.py`): the
    database gets the current tenant's setting, each row is stamped with it, another tenant's refused."""
    _sync_database_setting(session)
    crossing = _crossing_reason.get() is not None
    for obj in objects:
        _stamp_or_refuse(obj, crossing)


# --- layer 4: hand the tenant to PostgreSQL row-level security -----------------------------------

_SESSIONS: list = []


def register_session_source(get_session) -> None:
    """The web layer registers how to reach the live session, so tenant changes reach the database."""
    _SESSIONS.append(get_session)


def _wanted_setting() -> tuple[str, str]:
    tenant_id = _current_tenant.get()
    return (str(tenant_id) if tenant_id else "", "on" if _crossing_reason.get() is not None else "")


@event.listens_for(Session, "after_begin")
def _on_begin(session: Session, transaction, connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    wanted = _wanted_setting()
    _apply(connection, wanted)
    session.info["rls_setting"] = wanted


@event.listens_for(Session, "after_transaction_end")
def _on_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: its connection (and setting) are gone
        session.info.pop("rls_setting", None)


def _sync_database_setting(session: Session) -> None:
    # No setting recorded: no connection in this transaction yet, and `_on_begin` applies the tenant of
    # that moment when one is taken (applying it here too would cost a second round trip per request).
    if "rls_setting" not in session.info or not session.in_transaction():
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    wanted = _wanted_setting()
    if session.info.get("rls_setting") != wanted:
        _apply(session.connection(), wanted)
        session.info["rls_setting"] = wanted


# PostgreSQL only, in psycopg's parameter style: it runs at the start of every transaction, where
# building and compiling a text() construct each time cost more than sending it.
_SET_TENANT = "SELECT set_config('app.tenant_id', %(t)s, true), set_config('app.all_tenants', %(c)s, true)"


def _apply(connection, wanted: tuple[str, str]) -> None:
    tenant, crossing = wanted
    connection.exec_driver_sql(_SET_TENANT, {"t": tenant, "c": crossing})


def _announce_change() -> None:
    for get_session in _SESSIONS:
        try:
            session = get_session()
        except RuntimeError:  # outside an application context: nothing open to update
            continue
        _sync_database_setting(session)


def tenant_fk(columns: list[str], table: str, remote: list[str] | None = None, **kw):
    """A foreign key between tenant-owned tables that carries tenant_id, so the database itself
    refuses a row pointing at another tenant's row."""
    from sqlalchemy import ForeignKeyConstraint

    remote = remote or ["id"]
    return ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{table}.tenant_id", *(f"{table}.{c}" for c in remote)], **kw
    )
