"""Alembic environment: migrations run as the database owner (MIGRATION_DATABASE_URL), never as the
application's role, which owns nothing so that row-level security binds it."""

import logging

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, pool

from civic311.db import db

config = context.config
log = logging.getLogger("alembic.env")
settings = current_app.config["CIVIC311"]
target_metadata = db.metadata


def _compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    return None  # default comparison


def run_migrations_offline() -> None:
    context.configure(url=settings.migration_database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(settings.migration_database_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
