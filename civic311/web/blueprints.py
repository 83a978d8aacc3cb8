"""Every blueprint, and which kind of host it lives on.

Each feature package exposes its blueprints in a module-level list `BLUEPRINTS`.
"""

from __future__ import annotations

import importlib

from flask import Flask

from civic311.web import errors

FEATURE_MODULES = (
    "civic311.web.home",
    "civic311.platform.blueprints",
    "civic311.accounts.views",
    "civic311.open311.blueprints",
    "civic311.portal.blueprints",
    "civic311.console.blueprints",
    "civic311.ops.blueprints",
    "civic311.kb.blueprints",
    "civic311.signup.blueprints",
    "civic311.tenants.blueprints",
    "civic311.billing.blueprints",
    "civic311.admin.blueprints",
    "civic311.web.assets",
)


def register_all(app: Flask) -> None:
    errors.init_app(app)
    for name in FEATURE_MODULES:
        module = importlib.import_module(name)  # a missing feature is an error, never silently skipped
        for bp in getattr(module, "BLUEPRINTS", [getattr(module, "bp", None)]):
            if bp is not None:
                app.register_blueprint(bp)
