"""Every tenant-owned model, found automatically: tenant A never sees tenant B's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from civic311.db import db
from civic311.tenancy import (
    TenantMismatch,
    TenantNotSet,
    all_tenants,
    orm_filter_disabled_for_tests,
    tenant_context,
)
from tests.conftest import BACKEND
from tests.factories import make_row, tenant_models

MODELS = tenant_models()


class _ids:
    def __init__(self, tenant):
        self.id, self.slug = tenant.id, tenant.slug


def _seed(model, a, b):
    with tenant_context(a.id):
        id_a = make_row(model, marker="ALPHA").id
        db.session.commit()
    with tenant_context(b.id):
        id_b = make_row(model, marker="BRAVO").id
        db.session.commit()
    return id_a, id_b


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_orm_queries_stay_in_the_current_tenant(two_tenants, model):
    a, b = two_tenants
    id_a, id_b = _seed(model, a, b)
    a, b = _ids(a), _ids(b)
    db.session.expunge_all()
    with tenant_context(a.id):
        ids = set(db.session.scalars(select(model.id)))
        assert id_a in ids and id_b not in ids
        assert db.session.get(model, (b.id, id_b)) is None
        assert db.session.scalar(select(model).where(model.id == id_b)) is None
    with tenant_context(b.id):
        ids = set(db.session.scalars(select(model.id)))
        assert id_b in ids and id_a not in ids


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_reading_with_no_tenant_raises(two_tenants, model):
    with pytest.raises(TenantNotSet):
        db.session.scalars(select(model)).all()


@pytest.mark.skipif(BACKEND != "postgres", reason="row-level security is PostgreSQL's")
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_row_level_security_alone_hides_other_tenants(two_tenants, model):
    a, b = two_tenants
    id_a, id_b = _seed(model, a, b)
    a, b = _ids(a), _ids(b)
    db.session.expunge_all()
    with tenant_context(a.id), orm_filter_disabled_for_tests():
        ids = set(db.session.scalars(select(model.id)))
        assert ids == {id_a} or (id_a in ids and id_b not in ids)
        raw = db.session.execute(text(f"SELECT count(*) FROM {model.__tablename__} WHERE tenant_id = :b"),
                                 {"b": b.id}).scalar()
        assert raw == 0
    db.session.commit()
    with orm_filter_disabled_for_tests():  # no tenant at all: RLS shows nothing
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    db.session.rollback()


def test_new_rows_are_stamped_and_a_mismatch_refused(two_tenants):
    from civic311.tenants.catalog import Department

    a, b = two_tenants
    with tenant_context(a.id):
        dept = Department(name="Streets")
        db.session.add(dept)
        db.session.flush()
        assert dept.tenant_id == a.id
        db.session.add(Department(name="Parks", tenant_id=b.id))
        with pytest.raises(TenantMismatch):
            db.session.flush()
    db.session.rollback()


def test_crossing_tenants_only_through_the_named_helper(two_tenants, caplog):
    from civic311.tenants.catalog import Department

    a, b = two_tenants
    for tenant in (a, b):
        with tenant_context(tenant.id):
            db.session.add(Department(name=f"Streets {tenant.slug}"))
            db.session.commit()
    with pytest.raises(ValueError), all_tenants(reason=" "):
        pass
    with caplog.at_level("INFO", logger="civic311.tenancy"), all_tenants(reason="count departments for a test"):
        assert db.session.scalar(select(func.count()).select_from(Department)) == 2
    assert "count departments for a test" in caplog.text


@pytest.mark.skipif(BACKEND != "postgres", reason="row-level security is PostgreSQL's")
def test_a_pooled_connection_reused_across_tenants_sees_only_the_new_tenant(app, two_tenants):
    from civic311.tenants.catalog import Department

    a, b = (_ids(t) for t in two_tenants)
    with tenant_context(a.id):
        db.session.add(Department(name="Alpha streets"))
        db.session.commit()
    with tenant_context(b.id):
        db.session.add(Department(name="Bravo streets"))
        db.session.commit()
    db.session.remove()
    engine = db.engine
    engine.pool.dispose()
    seen = []
    for tenant in (a, b, a):
        with tenant_context(tenant.id), orm_filter_disabled_for_tests():
            names = list(db.session.scalars(select(Department.name)))
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            db.session.commit()
        seen.append((tenant.slug, names, pid))
    # The same pooled backend served all three transactions, each seeing its own tenant only.
    assert len({pid for _, _, pid in seen}) == 1
    assert seen[0][1] == ["Alpha streets"] and seen[1][1] == ["Bravo streets"] and seen[2][1] == ["Alpha streets"]
    with orm_filter_disabled_for_tests():  # after the commits the setting is gone: nothing visible
        assert list(db.session.scalars(select(Department.name))) == []
    db.session.rollback()


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL roles")
def test_the_application_role_cannot_bypass_row_level_security(ctx):
    row = db.session.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert row == (False, False)
    tables = db.session.execute(
        text("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(:t)"),
        {"t": [m.__tablename__ for m in MODELS]},
    ).all()
    assert {t[0] for t in tables} == {m.__tablename__ for m in MODELS}
    assert all(t[1] and t[2] for t in tables), tables
    owners = db.session.execute(
        text("SELECT count(*) FROM pg_tables WHERE schemaname='public' AND tableowner = current_user")
    ).scalar()
    assert owners == 0


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__tablename__)
def test_counting_from_a_model_is_filtered_too(two_tenants, model):
    """`select(func.count()).select_from(Model)` names no entity in its columns; it is filtered all the same."""
    a, b = two_tenants
    _seed(model, a, b)
    with tenant_context(a.id):
        own = len(db.session.scalars(select(model.id)).all())
        assert db.session.scalar(select(func.count()).select_from(model)) == own
    with pytest.raises(TenantNotSet):
        db.session.scalar(select(func.count()).select_from(model))
