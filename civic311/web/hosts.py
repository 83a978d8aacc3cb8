"""How a request finds its tenant: by host, before any view runs.

`{slug}.{PLATFORM_DOMAIN}` and each verified custom domain serve that city's portal and Open311 API;
`{PLATFORM_DOMAIN}` itself serves the platform (signup, console under /t/{slug}, operators, admin,
webhooks). Anything else answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Flask, abort, g, request
from sqlalchemy import select

from civic311.db import db
from civic311.tenancy import set_request_tenant
from civic311.tenants.models import Tenant, TenantDomain
from civic311.tenants.urls import platform_url, tenant_url  # noqa: F401  (views import them from here)
from civic311.web.tenant_cache import tenant_cache


@dataclass(frozen=True)
class Site:
    kind: str  # "platform" or "tenant"
    tenant: Tenant | None = None

    @property
    def is_platform(self) -> bool:
        return self.kind == "platform"


def host_name(raw_host: str) -> str:
    host = raw_host.strip().lower().rstrip(".")
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def resolve_site(raw_host: str, platform_domain: str) -> Site | None:
    host = host_name(raw_host)
    if host == platform_domain:
        return Site("platform")
    suffix = "." + platform_domain
    if host.endswith(suffix):
        slug = host[: -len(suffix)]
        if "." in slug:
            return None
        tenant = tenant_cache.tenant_among_all(f"host:{host}", lambda values: f"host:{values['slug']}{suffix}",
                                               lambda: tenant_by_slug(slug))
        return Site("tenant", tenant) if tenant else None
    tenant = tenant_cache.tenant(f"host:{host}", lambda: tenant_by_domain(host))
    return Site("tenant", tenant) if tenant else None


def tenant_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def tenant_by_domain(hostname: str) -> Tenant | None:
    domain = db.session.scalar(
        select(TenantDomain).where(TenantDomain.hostname == hostname, TenantDomain.verified_at.is_not(None))
    )
    return domain.tenant if domain else None


# (Not city_slug: the URL value preprocessor sets it before any before_request function runs.)
REQUEST_SCOPED_G = ("site", "tenant", "access", "support_access", "commit_anyway", "_login_user", "csrf_token")


def init_app(app: Flask) -> None:
    @app.before_request
    def _resolve_host():
        # Forget anything an earlier request left in `g`: in production every request has a fresh app
        # context, but requests made inside one (tests, jobs run inline) share it.
        for name in REQUEST_SCOPED_G:
            g.pop(name, None)
        if request.path.startswith("/static/"):
            g.site = None
            return None
        site = resolve_site(request.host, app.config["CIVIC311"].platform_domain)
        if site is None:
            abort(404)
        g.site = site
        g.tenant = site.tenant
        set_request_tenant(site.tenant.id if site.tenant else None)
        return None

    @app.teardown_request
    def _forget_tenant(exc):
        set_request_tenant(None)


def restrict_to(bp: Blueprint, kind: str) -> None:
    """A blueprint that lives on one kind of host answers 404 on the other."""

    @bp.before_request
    def _check_host():
        site = g.get("site")
        if site is None or site.kind != kind:
            abort(404)


def tenant_host_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.get("site") or g.site.kind != "tenant":
            abort(404)
        return view(*args, **kwargs)

    return wrapper
