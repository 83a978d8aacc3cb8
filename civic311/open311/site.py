"""Which city an API call is about, and whether its key may write.

On a city's host the city is the host's; a `jurisdiction_id` given there must name that same city.
On the platform host `jurisdiction_id` (the slug or a verified domain) is required. Keys are checked
in the city's own scope, so a key of another city is simply not found (403).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from flask import current_app, g
from flask_babel import gettext as _

from civic311.actor import Actor, set_request_actor
from civic311.open311 import params
from civic311.open311.formats import Open311Error
from civic311.platform import catalog_cache
from civic311.platform.catalog_cache import KeyInfo
from civic311.tenancy import set_request_tenant
from civic311.tenants.apikeys import key_hash, touch
from civic311.tenants.models import Tenant
from civic311.web.hosts import tenant_by_domain, tenant_by_slug
from civic311.web.tenant_cache import tenant_cache

GONE_STATUSES = {"canceled"}
READ_ONLY_STATUSES = {"suspended"}  # reads go on; writes wait until billing is resolved


def _find_tenant(jurisdiction: str) -> Tenant | None:
    name = jurisdiction.strip().lower()
    tenant = tenant_cache.tenant(f"jurisdiction:{name}", lambda: tenant_by_slug(name) or tenant_by_domain(name))
    if tenant is None or tenant.status in GONE_STATUSES:
        return None
    return tenant


def _names_tenant(tenant: Tenant, jurisdiction: str) -> bool:
    name = jurisdiction.strip().lower()
    return name == tenant.slug or any(d.hostname == name and d.verified_at for d in tenant.domains)


def enter_tenant() -> Tenant:
    """Resolve the city of this call and make it the current tenant (or raise the spec's error)."""
    site = g.get("site")
    jurisdiction = params.get("jurisdiction_id")
    if site is not None and site.kind == "tenant":
        tenant = site.tenant
        if tenant.status in GONE_STATUSES:
            raise Open311Error(404, _("This city's service is closed."))
        if jurisdiction is not None and not _names_tenant(tenant, jurisdiction):
            raise Open311Error(400, _("jurisdiction_id does not match this city's address."))
    else:
        if jurisdiction is None:
            raise Open311Error(400, _("jurisdiction_id is required on this host: give the city's slug or domain."))
        tenant = _find_tenant(jurisdiction)
        if tenant is None:
            raise Open311Error(404, _("There is no city with jurisdiction_id %(j)s.", j=jurisdiction))
    g.tenant = tenant
    g.open311_tenant = tenant
    set_request_tenant(tenant.id)
    return tenant


def require_key() -> KeyInfo:
    """The live key of this city given as `api_key` (or `key`), counted against its rate limit.

    Checked against the city's cached catalog snapshot (issuing or revoking a key bumps its version),
    so a valid key costs no query of its own."""
    raw = params.get("api_key", "key")
    if raw is None:
        raise Open311Error(403, _("An api_key is required to write. Ask the city for one."))
    key = catalog_cache.current().keys.get(key_hash(raw))
    if key is None:
        raise Open311Error(403, _("The api_key is not valid for this city."))
    if g.open311_tenant.status in READ_ONLY_STATUSES:
        raise Open311Error(403, _("This city's account is suspended: it takes no new requests or updates "
                                  "through the API for now."))
    retry_after = rate_limiter().hit(str(key.id), key.rate_limit_per_minute)
    if retry_after is not None:
        raise Open311Error(429, _("Too many requests with this api_key. Try again in %(n)s seconds.", n=retry_after),
                           headers={"Retry-After": str(retry_after)})
    touch(key.id)
    set_request_actor(Actor(label=f"Open311 key {key.name} ({key.prefix}…)"))
    return key


# --- rate limits: fixed one-minute windows, in Redis when configured so every worker shares them -----

class MemoryLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = defaultdict(int)

    def hit(self, key_id: str, per_minute: int) -> int | None:
        now = time.time()
        window = int(now // 60)
        with self._lock:
            for stale in [k for k in self._counts if k[1] < window]:
                del self._counts[stale]
            self._counts[(key_id, window)] += 1
            count = self._counts[(key_id, window)]
        return None if count <= per_minute else max(1, int((window + 1) * 60 - now + 0.999))


class RedisLimiter:
    def __init__(self, url: str) -> None:
        from redis import Redis

        self._redis = Redis.from_url(url)

    def hit(self, key_id: str, per_minute: int) -> int | None:
        now = time.time()
        window = int(now // 60)
        name = f"civic311:open311:rate:{key_id}:{window}"
        pipe = self._redis.pipeline(transaction=False)  # one round trip; no MULTI/EXEC needed for a counter
        pipe.incr(name)
        pipe.expire(name, 120)
        count = pipe.execute()[0]
        return None if count <= per_minute else max(1, int((window + 1) * 60 - now + 0.999))


def rate_limiter() -> MemoryLimiter | RedisLimiter:
    limiter = current_app.extensions.get("open311_limiter")
    if limiter is None:
        url = current_app.config["CIVIC311"].redis_url
        limiter = RedisLimiter(url) if url else MemoryLimiter()
        current_app.extensions["open311_limiter"] = limiter
    return limiter
