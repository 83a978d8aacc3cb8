"""The console's blueprints: queue and requests, agent desk, supervisor pages, staff security, assets."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from civic311.console import filters
from civic311.console.desk_views import bp as desk_bp
from civic311.console.security_views import bp as security_bp
from civic311.console.supervisor_views import dashboard_bp, responses_bp
from civic311.console.views import bp as console_bp

# The console's stylesheet and map script, on every host (they hold nothing city-specific).
assets_bp = Blueprint("console_assets", __name__, static_folder=str(Path(__file__).parent / "static"),
                      static_url_path="/console-assets")
assets_bp.record_once(lambda state: filters.init_app(state.app))

BLUEPRINTS = [console_bp, desk_bp, dashboard_bp, responses_bp, security_bp, assets_bp]
