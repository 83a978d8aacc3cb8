"""Run the migrations from code (demo, tests, `civic311 migrate`)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def upgrade(app: Flask, revision: str = "heads") -> None:
    from flask_migrate import upgrade as alembic_upgrade

    with app.app_context():
        alembic_upgrade(directory=str(MIGRATIONS), revision=revision)
