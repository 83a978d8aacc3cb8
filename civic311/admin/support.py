"""Platform support inside a city: each visit is recorded in the city's own audit log, under the
support person's own name, once per visit rather than once per page."""

from __future__ import annotations

from flask import after_this_request, g, request, session
from flask_login import current_user

from civic311 import audit
from civic311.tenants.models import Tenant

# {"<user id>:<tenant id>": "<support_access_until the visit was made under>"}: a new grant, another
# person or a new browser session starts a new visit.
SESSION_KEY = "support_visits"


def note_support_entry(tenant: Tenant) -> None:
    """Called by `civic311.web.city.enter_city` on each support request into `tenant` (inside the city)."""
    key = f"{current_user.id}:{tenant.id}"
    window = tenant.support_access_until.isoformat() if tenant.support_access_until else ""
    visits = dict(session.get(SESSION_KEY) or {})
    if visits.get(key) == window:
        return
    visits[key] = window
    session[SESSION_KEY] = visits
    audit.record("support_access.entered", target=tenant,
                 details={"path": request.path, "until": window or None})

    @after_this_request
    def _forget_if_rolled_back(response):
        # A refused request rolls its transaction back, audit row included: the next page records the visit.
        if response.status_code >= 400 and not g.get("commit_anyway"):
            remaining = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if k != key}
            session[SESSION_KEY] = remaining
        return response
