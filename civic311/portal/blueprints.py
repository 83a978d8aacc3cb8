"""The resident portal's blueprint (its views register themselves on import)."""

from civic311.portal import views_account, views_home, views_report, views_requests  # noqa: F401
from civic311.portal.blueprint import bp

BLUEPRINTS = [bp]
