"""The migrations build exactly the schema the models describe: autogenerate finds nothing pending."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from civic311.db import db
from tests.conftest import BACKEND, PG_HOST


def _fresh_app(tmp_path):
    from civic311.app import create_app
    from civic311.migration_runner import upgrade

    if BACKEND == "postgres":
        name = f"civic311_migcheck_{tmp_path.name[-20:].replace('-', '_')}".lower()
        admin = create_engine(f"postgresql+psycopg://postgres@{PG_HOST}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        urls = {"database_url": f"postgresql+psycopg://civic311_app@{PG_HOST}/{name}",
                "migration_database_url": f"postgresql+psycopg://postgres@{PG_HOST}/{name}"}
    else:
        urls = {"database_url": f"sqlite:///{tmp_path}/m.sqlite", "migration_database_url": f"sqlite:///{tmp_path}/m.sqlite"}
    app = create_app({**urls, "testing": True, "secret_key": "x"})
    upgrade(app)
    return app, urls


def test_autogenerate_finds_nothing_pending(tmp_path):
    app, urls = _fresh_app(tmp_path)
    engine = create_engine(urls["migration_database_url"])
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrations_have_a_single_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from civic311.migration_runner import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_two_databases_migrated_at_once_on_a_cluster_without_the_app_role(tmp_path):
    """Roles are cluster-wide: parallel migrations (test workers, two deploys) must not race to create it."""
    if BACKEND != "postgres":
        pytest.skip("roles are a PostgreSQL matter")
    role = f"civic311_race_{uuid.uuid4().hex[:8]}"
    names = [f"civic311_race_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = create_engine(f"postgresql+psycopg://postgres@{PG_HOST}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        runs = [subprocess.Popen(
            [sys.executable, "-m", "civic311.cli", "migrate"],
            env={**os.environ, "DATABASE_URL": f"postgresql://{role}@{PG_HOST}/{name}",
                 "MIGRATION_DATABASE_URL": f"postgresql://postgres@{PG_HOST}/{name}",
                 "CIVIC311_INSTANCE": str(tmp_path / name), "SECRET_KEY": "x"},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for name in names]
        outputs = [run.communicate(timeout=300)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        for name in names:
            app_engine = create_engine(f"postgresql+psycopg://{role}@{PG_HOST}/{name}")
            with app_engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM tenants")).scalar() == 0
            app_engine.dispose()
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
