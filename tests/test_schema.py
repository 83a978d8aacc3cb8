"""The schema itself keeps tenants apart: these rules fail on any table that breaks them."""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint

from civic311.db import db
from civic311.tenancy import TenantScoped

# Platform-wide tables that carry a tenant_id but are read before any tenant is known, or describe
# platform actions about a tenant. Each is justified in docs/tenancy.md.
PLATFORM_TABLES_WITH_TENANT_REF = {"tenant_domains": "tenant_id", "platform_audit_events": "subject_tenant_id"}


def _tenant_tables():
    return {m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)}


def test_every_table_with_tenant_id_is_tenant_scoped(app):
    tenant_tables = _tenant_tables()
    for table in db.metadata.sorted_tables:
        if "tenant_id" in table.c and table.name not in PLATFORM_TABLES_WITH_TENANT_REF:
            assert table.name in tenant_tables, f"{table.name} has tenant_id but is not TenantScoped"


@pytest.mark.parametrize("table_name", sorted({m.local_table.name for m in db.Model.registry.mappers
                                                if issubclass(m.class_, TenantScoped)}))
def test_tenant_table_keys_carry_tenant_id(app, table_name):
    table = db.metadata.tables[table_name]
    tenant_tables = _tenant_tables()
    assert not table.c.tenant_id.nullable
    pk = [c.name for c in table.primary_key.columns]
    assert pk[0] == "tenant_id", f"{table_name}: primary key {pk} must start with tenant_id"
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names = [c.name for c in constraint.columns]
            assert "tenant_id" in names, f"{table_name}: unique {names} lacks tenant_id"
        if isinstance(constraint, ForeignKeyConstraint) and constraint.referred_table.name in tenant_tables:
            names = [c.name for c in constraint.columns]
            assert "tenant_id" in names, f"{table_name}: foreign key {names} to a tenant table lacks tenant_id"
    for index in table.indexes:
        if index.unique:
            assert "tenant_id" in [c.name for c in index.columns], f"{table_name}: unique index {index.name}"
