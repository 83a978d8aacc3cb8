"""Imports every model module so the metadata (and Alembic) sees every table."""

import importlib

from civic311 import audit  # noqa: F401
from civic311.accounts import models as accounts_models  # noqa: F401
from civic311.billing import models as billing_models  # noqa: F401
from civic311.console import models as console_models  # noqa: F401
from civic311.kb import models as kb_models  # noqa: F401
from civic311.platform import models as platform_models  # noqa: F401
from civic311.portal import models as portal_models  # noqa: F401
from civic311.tenants import catalog, counters, imports  # noqa: F401
from civic311.tenants import models as tenants_models  # noqa: F401
from civic311.web import throttle  # noqa: F401

# The platform admin is imported by name: it sits on top of everything and nothing may import it
# (import-linter contract); this registry is the one place that wires it in.
importlib.import_module("civic311.admin.models")
