"""Absolute links to a city's own host and to the platform host, for e-mails, jobs and views.

They follow the current request's port when there is one (the demo on :5000), so links work locally.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

from civic311.tenants.models import Tenant


def _port() -> str:
    if has_request_context() and ":" in request.host and not request.host.startswith("["):
        return ":" + request.host.rsplit(":", 1)[1]
    return ""


def tenant_url(tenant: Tenant, path: str = "/") -> str:
    """An absolute URL on a city's own host (its verified domain if it has one)."""
    settings = current_app.config["CIVIC311"]
    domain = next((d.hostname for d in tenant.domains if d.verified_at), None)
    host = domain or f"{tenant.slug}.{settings.platform_domain}{_port()}"
    return f"{settings.preferred_scheme}://{host}{path}"


def platform_url(path: str = "/") -> str:
    settings = current_app.config["CIVIC311"]
    return f"{settings.preferred_scheme}://{settings.platform_domain}{_port()}{path}"
