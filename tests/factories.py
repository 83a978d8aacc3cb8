"""Data for tests: a generic row maker that fills any model's required columns (and builds the parent
rows its foreign keys need), so the isolation sweeps cover models nobody wrote a factory for."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, String, Text, Uuid, inspect
from sqlalchemy.types import JSON

from civic311.db import db
from civic311.tenancy import TenantScoped

_counter = iter(range(1, 10**9))


def _value_for(column, marker: str):
    col_type = column.type
    impl = getattr(col_type, "impl", col_type)
    n = next(_counter)
    if isinstance(impl, Uuid):
        return uuid.uuid4()
    if isinstance(impl, Boolean):
        return False
    if isinstance(impl, Integer):
        return n
    if isinstance(impl, Float | Numeric):
        return 1.0
    if isinstance(impl, DateTime):
        return datetime.now(UTC)
    if isinstance(impl, Date):
        return date.today()
    if isinstance(impl, JSON) or type(impl).__name__ in {"JSONB", "JSON"}:
        return {}
    if isinstance(impl, String | Text):
        length = getattr(impl, "length", None) or 200
        text = f"{marker}-{n}"
        return text[:length]
    return None


def make_row(model, marker: str = "MARK", **overrides):
    """Build and flush one row of `model` with every non-null column filled."""
    mapper = inspect(model)
    table = mapper.local_table
    values = dict(overrides)
    for fk in table.foreign_key_constraints:
        local = [c.name for c in fk.columns]
        if all(name == "tenant_id" or name in values for name in local):
            continue
        if all(c.nullable or c.name == "tenant_id" for c in fk.columns) and local != ["tenant_id"]:
            continue
        parent_table = fk.referred_table
        parent_model = _model_for_table(parent_table.name)
        parent = make_row(parent_model, marker)
        for local_col, elem in zip(fk.columns, fk.elements):
            if local_col.name == "tenant_id":
                continue
            values[local_col.name] = getattr(parent, elem.column.name)
    for column in table.columns:
        if column.name in values or column.name == "tenant_id":
            continue
        if column.nullable or column.default is not None or column.server_default is not None:
            continue
        values[column.name] = _value_for(column, marker)
    attrs = {mapper.get_property_by_column(table.c[name]).key: value for name, value in values.items()}
    row = model(**attrs)
    db.session.add(row)
    db.session.flush()
    return row


def _model_for_table(name: str):
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == name:
            return mapper.class_
    raise LookupError(name)


def tenant_models() -> list[type]:
    return sorted(
        (m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)),
        key=lambda cls: cls.__tablename__,
    )
