"""The city settings pages and the setup wizard (one blueprint, split over three view modules)."""

from civic311.tenants import import_views, launch_views  # noqa: F401  (their routes join the blueprint)
from civic311.tenants.settings_views import bp

BLUEPRINTS = [bp]
