"""The application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from civic311.config import load_settings
from civic311.db import db


def create_app(overrides: dict | None = None) -> Flask:
    instance_path = os.environ.get("CIVIC311_INSTANCE") or str(Path.cwd() / "instance")
    app = Flask("civic311", instance_path=instance_path, instance_relative_config=True)
    settings = load_settings(app.instance_path, overrides)
    app.config.update(settings.flask_config())
    app.config["TESTING"] = bool((overrides or {}).get("testing"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from civic311.web import pool_liveness

    idle_checks = pool_liveness.replace_pre_ping(app)
    db.init_app(app)
    if idle_checks:
        with app.app_context():
            pool_liveness.install(db.engine)
    _register_models()
    _init_extensions(app)
    _register_blueprints(app)

    from civic311.cli import register_cli

    register_cli(app)
    if settings.is_postgres:
        _warn_if_rls_is_bypassed(app)
    return app


def _warn_if_rls_is_bypassed(app: Flask) -> None:
    """Row-level security does not bind a superuser or a BYPASSRLS role: say so loudly at start."""
    from sqlalchemy import text

    try:
        with app.app_context(), db.engine.connect() as conn:
            row = conn.execute(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))
            if row.scalar():
                logging.getLogger("civic311").warning(
                    "DATABASE_URL connects as a role that bypasses row-level security; use the non-owner "
                    "application role (see docs/tenancy.md)"
                )
    except Exception as exc:  # the database may not be up yet; the first request will say so
        logging.getLogger("civic311").warning("could not check the database role: %s", exc)


def _register_models() -> None:
    import civic311.models  # noqa: F401  (every table registers itself with the metadata)


def _init_extensions(app: Flask) -> None:
    from flask_migrate import Migrate

    from civic311.tenancy import register_session_source
    from civic311.web import i18n, security, session_wrapper

    Migrate(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    register_session_source(lambda: db.session())
    security.init_app(app)
    i18n.init_app(app)
    session_wrapper.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from civic311.web import blueprints

    blueprints.register_all(app)
