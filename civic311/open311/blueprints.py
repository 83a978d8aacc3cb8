"""The Open311 package's blueprints: the API (any host), the keys console (platform, per city) and the
developer page (city host)."""

from __future__ import annotations

from civic311.open311.developers import bp as developers_bp
from civic311.open311.keys import bp as keys_bp
from civic311.open311.views import bp as api_bp

BLUEPRINTS = [api_bp, keys_bp, developers_bp]
