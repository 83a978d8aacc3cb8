"""Custom domains: a city proves it owns a domain with a DNS TXT record, checked by a job.

The record is `_civic311.<domain>` with the domain's verification token as its value. The job asks the
configured resolver (DNS_RESOLVER, "host:port"; the system's resolver when unset); once the token is
found, `verified_at` is set and host resolution starts answering that domain with the city's portal.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from civic311 import audit
from civic311.billing.entitlements import has_feature
from civic311.db import db, utcnow
from civic311.jobs import enqueue_after_commit
from civic311.tenancy import current_tenant_id
from civic311.tenants.models import Tenant, TenantDomain
from civic311.tenants.settings_service import SettingsError

log = logging.getLogger("civic311.domains")
RECORD_PREFIX = "_civic311"


def record_name(domain: TenantDomain) -> str:
    return f"{RECORD_PREFIX}.{domain.hostname}"


def domains_of_current_city() -> list[TenantDomain]:
    return list(db.session.scalars(
        select(TenantDomain).where(TenantDomain.tenant_id == current_tenant_id()).order_by(TenantDomain.created_at)))


def domain_of_current_city(domain_id: uuid.UUID) -> TenantDomain | None:
    return db.session.scalar(select(TenantDomain).where(
        TenantDomain.id == domain_id, TenantDomain.tenant_id == current_tenant_id()))


def add_domain(city: Tenant, hostname: str) -> TenantDomain:
    if not has_feature(city, "custom_domain"):
        raise SettingsError("hostname", _("Your plan does not include your own domain: choose a plan that does "
                                          "on the billing page."))
    hostname = hostname.strip().lower().rstrip(".")
    platform_domain = current_app.config["CIVIC311"].platform_domain
    if hostname == platform_domain or hostname.endswith("." + platform_domain):
        raise SettingsError("hostname", _("Use your city's own domain, not an address of this platform."))
    claim = db.session.scalar(select(TenantDomain).where(TenantDomain.hostname == hostname))
    if claim is not None:
        # An unverified claim older than a week has lapsed: it must not keep the real owner out. (The
        # hostname is unique in the schema, so claims cannot coexist; they expire instead.)
        if claim.verified_at is not None or claim.created_at > utcnow() - timedelta(days=CLAIM_EXPIRES_DAYS):
            raise SettingsError("hostname", _("This domain is already registered."))
        log.info("unverified claim of %s by tenant %s lapsed; claimed again", hostname, claim.tenant_id)
        db.session.delete(claim)
        db.session.flush()
    domain = TenantDomain(tenant_id=city.id, hostname=hostname, verification_token=secrets.token_hex(16))
    db.session.add(domain)
    db.session.flush()
    audit.record("domain.added", target=domain, details={"hostname": hostname})
    return domain


def remove_domain(domain: TenantDomain) -> None:
    audit.record("domain.removed", target=domain, details={"hostname": domain.hostname})
    db.session.delete(domain)


def request_check(domain: TenantDomain) -> None:
    domain.last_check_error = None
    domain.last_checked_at = None
    enqueue_after_commit("civic311.tenants.domains.check_domain", domain.tenant_id, str(domain.id),
                         job_id=f"domain-check-{domain.id}-{secrets.token_hex(3)}")


def _resolver():
    import dns.resolver

    configured = current_app.config.get("DNS_RESOLVER") or os.environ.get("DNS_RESOLVER", "")
    if not configured:
        return dns.resolver.Resolver()
    host, _sep, port = configured.partition(":")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port or 53)
    resolver.lifetime = 5.0
    return resolver


def txt_values(name: str) -> list[str]:
    import dns.exception
    import dns.resolver

    try:
        answer = _resolver().resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise LookupError(str(exc) or type(exc).__name__) from exc
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def check_domain(tenant_id: uuid.UUID, domain_id: str) -> bool:
    """The job: look the TXT record up and mark the domain verified when the token is there. Idempotent."""
    domain = db.session.scalar(select(TenantDomain).where(
        TenantDomain.id == uuid.UUID(domain_id), TenantDomain.tenant_id == tenant_id))
    if domain is None:
        return False
    domain.last_checked_at = utcnow()
    try:
        values = txt_values(record_name(domain))
    except LookupError as exc:
        domain.last_check_error = f"DNS lookup failed: {exc}"
        return False
    if domain.verification_token in values:
        domain.verified_at = domain.verified_at or utcnow()
        domain.last_check_error = None
        audit.record("domain.verified", target=domain, details={"hostname": domain.hostname})
        return True
    domain.last_check_error = (f"No TXT record {record_name(domain)} with the token was found"
                               + (f" (found: {', '.join(values)[:200]})" if values else "") + ".")
    return False


RECHECK_DAYS = 7
CLAIM_EXPIRES_DAYS = RECHECK_DAYS  # after this, an unverified claim no longer blocks another city


def recheck_unverified(_tenant_id: None = None) -> int:
    """Periodic job: look again at domains added in the last week that are not verified yet (DNS changes
    take a while to spread, and a clerk should not have to keep pressing "Check now"). Returns how many
    became verified."""
    from datetime import timedelta

    from civic311.tenancy import tenant_context

    since = utcnow() - timedelta(days=RECHECK_DAYS)
    pending = list(db.session.scalars(select(TenantDomain).where(
        TenantDomain.verified_at.is_(None), TenantDomain.created_at >= since)))
    verified = 0
    for domain in pending:
        with tenant_context(domain.tenant_id):
            verified += bool(check_domain(domain.tenant_id, str(domain.id)))
            db.session.commit()
    return verified
