"""Brand-new rows written straight to their tables, then attached to the session as loaded objects.

Intake writes four or five new rows per request (request, history entry, follower, outbox row). Through
the unit of work, the flush cost more CPU than the INSERTs themselves: dependency sorting, attribute
history, per-object events. None of that is needed for rows that are new by construction and depend
only on one another. `insert_new` writes them on the session's connection (so in its transaction) and
attaches each object as a flush would have: the caller keeps ordinary model objects, and later
changes to them are ordinary UPDATEs.

On PostgreSQL all the rows go in one statement, each INSERT but the last in a `WITH` clause: one round
trip instead of one per row. Foreign keys are checked at the end of the statement, so a history entry
may name the request inserted beside it. Each row travels as one JSON document that
`jsonb_populate_record` turns into a row of its table: a short statement with one parameter per row,
which psycopg parses once and prepares (with ~80 column parameters it re-parsed the SQL on every call:
its statement cache stops at 50 parameters and 4 kB). Row-level security checks every row as usual.
SQLite has no INSERT inside `WITH`: one INSERT per table there, through SQLAlchemy's column types.

The tenant guard of a flush applies here too (stamp, refuse another tenant's row). Only for models with
no flush-time behaviour of their own: the catalog's version bump, for one, listens to flushes.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, Insert, Integer, String, Table, Uuid, inspect
from sqlalchemy.orm import MANYTOONE

from civic311.db import UTCDateTime, db
from civic311.tenancy import TenantScoped, guard_rows_written_without_flush

_UNSET = object()


def insert_new(*objects: TenantScoped) -> None:
    """INSERT `objects` (transient model instances; parents before the rows naming them, by id columns,
    not relationships), then attach them to the session as persistent. Column defaults are applied to
    the objects first, so what the caller reads afterwards is what was written. If the statement fails
    the transaction is unusable until the caller rolls back, as after a failed flush.

    On PostgreSQL values travel as JSON: a nested UUID or datetime inside a JSON column is written as
    its string, where SQLAlchemy's serializer would refuse it."""
    session = db.session()  # the Session itself: the tenancy guard takes one
    guard_rows_written_without_flush(session, objects)
    rows = [_row_of(obj) for obj in objects]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        statement = _one_statement(tuple(table for table, _ in rows), connection.dialect.identifier_preparer)
        connection.exec_driver_sql(statement, {f"r{i}": _json_row(table, row) for i, (table, row) in enumerate(rows)})
    else:
        rows_by_table: dict[Table, list[dict]] = {}
        for table, row in rows:
            rows_by_table.setdefault(table, []).append(row)
        for table, table_rows in rows_by_table.items():
            connection.execute(_insert_into(table), table_rows)
    # Attached as a flush attaches what it inserted (SQLAlchemy's own step after INSERTs): persistent,
    # nothing left to write, and remembered as new in this transaction, so a rollback expunges them
    # with their values intact instead of expiring rows that no longer exist.
    session.add_all(objects)
    session._register_persistent({inspect(obj) for obj in objects})


def _row_of(obj: TenantScoped) -> tuple[Table, dict]:
    table, columns, parents = _columns_of(type(obj))
    values = obj.__dict__
    for parent in parents:
        if values.get(parent) is not None:  # a flush would copy its key into the column; this does not
            raise TypeError(f"{type(obj).__name__}.{parent} is set: give insert_new its id column instead")
    row = {}
    for attr, column_key, default in columns:
        value = values.get(attr, _UNSET)
        if value is _UNSET:
            value = default() if default is not None else None
            setattr(obj, attr, value)
        row[column_key] = value
    return table, row


@functools.cache
def _columns_of(model: type) -> tuple[Table, tuple[tuple[str, str, object], ...], tuple[str, ...]]:
    """(attribute, column key, default maker) per column of a model, and its many-to-one relationships:
    from its mapper, once per process. Models this writer must not take are refused here."""
    from civic311.tenants.catalog import CATALOG_MODELS

    if issubclass(model, CATALOG_MODELS):
        raise TypeError(f"{model.__name__} is a catalog model: its writes must bump the catalog version (a flush)")
    mapper = inspect(model)
    columns = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.server_default is not None:
            raise TypeError(f"{column} has a database default: insert_new cannot know its value")
        columns.append((prop.key, column.key, _default_maker(column)))
    parents = tuple(rel.key for rel in mapper.relationships if rel.direction is MANYTOONE)
    return mapper.local_table, tuple(columns), parents


def _default_maker(column):
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return lambda: default.arg
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps a no-argument default to take a context
    raise TypeError(f"{column} has a SQL expression default: insert_new cannot know its value")


@functools.cache
def _insert_into(table: Table) -> Insert:
    return table.insert()


@functools.lru_cache(maxsize=64)
def _one_statement(tables: tuple[Table, ...], preparer) -> str:
    """The INSERTs of one row per table of `tables`, in order, as one statement (psycopg's parameter
    style): row i is the JSON parameter `r{i}`."""
    inserts = []
    for i, table in enumerate(tables):
        _check_json_safe(table)
        name = preparer.format_table(table)
        columns = [preparer.format_column(column) for column in table.columns]
        # The model's columns, named on both sides: a column the database has and the model does not
        # (a migration ahead of the code) keeps its database default, as with the ORM's INSERT.
        # SQLAlchemy writes None into a JSON column as JSON null, where jsonb_populate_record gives
        # SQL NULL: COALESCE restores the JSON null.
        picked = [f"COALESCE(r.{quoted}, 'null')" if isinstance(column.type, JSON) else f"r.{quoted}"
                  for column, quoted in zip(table.columns, columns, strict=True)]
        inserts.append(f"INSERT INTO {name} ({', '.join(columns)}) SELECT {', '.join(picked)} "
                       f"FROM jsonb_populate_record(NULL::{name}, %(r{i})s::jsonb) AS r")
    *first, last = inserts
    if not first:
        return last
    return "WITH " + ", ".join(f"row{i} AS ({insert})" for i, insert in enumerate(first)) + " " + last


# Column types whose values JSON carries without loss: PostgreSQL reads each back through the column's
# own input function (uuid, timestamptz, jsonb ...). Anything else (an encrypted or custom type) would
# skip its bind processing, so it is refused when the statement is first built.
_JSON_SAFE_TYPES = (String, Integer, Float, Boolean, Uuid, JSON, UTCDateTime, Date)


def _check_json_safe(table: Table) -> None:
    for column in table.columns:  # a type with a PostgreSQL variant (JSON -> JSONB) is still its base type
        if not isinstance(column.type, _JSON_SAFE_TYPES):
            raise TypeError(f"{table.name}.{column.name} ({column.type!r}): insert_new cannot send it as JSON")


def _json_row(table: Table, row: dict) -> str:
    return json.dumps({_column_names(table)[key]: value for key, value in row.items()},
                      default=_json_value, separators=(",", ":"))


@functools.cache
def _column_names(table: Table) -> dict[str, str]:
    return {column.key: column.name for column in table.columns}


def _json_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to insert_new")  # as UTCDateTime refuses one
        return value.isoformat()
    if isinstance(value, (uuid.UUID, date)):
        return str(value)
    raise TypeError(f"insert_new cannot send {type(value).__name__} as JSON")
