"""Test set-up: a real database built by running the migrations, two tenants always present.

CIVIC311_TEST_DB=sqlite (default) or postgres. On PostgreSQL each test session gets its own database,
migrated as the owner (postgres) while the application connects as `civic311_app`, a role that owns
nothing, so row-level security is in force exactly as in production. CIVIC311_TEST_REDIS=1 also
points REDIS_URL at the local Redis (database 15), flushed per test.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import civic311.models  # noqa: F401  (every model registered before tests are collected)
from civic311.db import db
from tests.browser import browser, desktop, live_server, phone  # noqa: F401  (one session browser for all tests)

BACKEND = os.environ.get("CIVIC311_TEST_DB", "sqlite")
PG_HOST = os.environ.get("CIVIC311_TEST_PG", "127.0.0.1:5432")
USE_REDIS = os.environ.get("CIVIC311_TEST_REDIS") == "1"
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")
# Each xdist worker flushes its own Redis database: gw0 the base, gw1 the one below, and so on.
_REDIS_DB = int(os.environ.get("CIVIC311_TEST_REDIS_DB", "15")) - (int(_WORKER[2:]) if _WORKER != "gw-1" else 0)
REDIS_URL = f"redis://127.0.0.1:6379/{_REDIS_DB}"


def _pg_url(user: str, dbname: str) -> str:
    return f"postgresql+psycopg://{user}@{PG_HOST}/{dbname}"


@pytest.fixture(scope="session")
def db_urls(tmp_path_factory):
    if BACKEND == "postgres":
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"civic311_test_{worker}_{os.getpid()}"
        admin = create_engine(_pg_url("postgres", "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield {"database_url": _pg_url("civic311_app", name), "migration_database_url": _pg_url("postgres", name)}
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        yield {"database_url": f"sqlite:///{path}", "migration_database_url": f"sqlite:///{path}"}


@pytest.fixture(scope="session")
def app(db_urls, tmp_path_factory):
    from civic311.app import create_app
    from civic311.migration_runner import upgrade

    instance = tmp_path_factory.mktemp("instance")
    os.environ["CIVIC311_INSTANCE"] = str(instance)
    overrides = {
        **db_urls,
        "testing": True,
        "secret_key": "test-secret",
        "platform_domain": "localhost",
        "redis_url": REDIS_URL if USE_REDIS else "",
        "upload_dir": str(instance / "uploads"),
        "s3_bucket": "",
        "smtp_url": "",
    }
    app = create_app(overrides)
    app.config["WTF_CSRF_ENABLED"] = True
    upgrade(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def _owner_engine(app):
    return create_engine(app.config["CIVIC311"].migration_database_url)


@pytest.fixture(autouse=True)
def clean_database(app):
    """Every test starts from empty tables (as the owner, so row-level security does not hide rows)."""
    yield
    wipe_database(app)


def wipe_database(app) -> None:
    with app.app_context():
        db.session.remove()
    engine = _owner_engine(app)
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()
    if USE_REDIS:
        from redis import Redis

        Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def ctx(app):
    """An application context with a clean session, for service-level tests."""
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def two_tenants(ctx):
    """Cities A and B, each with a marker string that must never appear in the other's answers."""
    from civic311.tenants.service import create_tenant

    a = create_tenant(slug="alpha", name="Alphaville")
    b = create_tenant(slug="bravo", name="Bravotown")
    db.session.commit()
    return a, b


@pytest.fixture
def client(app):
    return app.test_client()


def host_client(app, host: str):
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = host
    # Werkzeug's EnvironBuilder sets HTTP_HOST from base_url after applying environ_base, so the host
    # must be given as base_url too (else every request silently went to "localhost").
    plain_open = client.open

    def open_on_host(*args, **kwargs):
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", f"http://{host}")
        return plain_open(*args, **kwargs)

    client.open = open_on_host
    return client


@pytest.fixture
def tenant_client(app):
    def make(slug: str):
        return host_client(app, f"{slug}.localhost")

    return make


@pytest.fixture
def platform_client(app):
    return host_client(app, "localhost")


def csrf_token_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


TESTS_DIR = Path(__file__).resolve().parent
