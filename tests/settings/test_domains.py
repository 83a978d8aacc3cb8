"""Custom domains: the TXT record is checked by a job against a DNS server started here, on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic311.db import db
from civic311.tenants.models import TenantDomain
from civic311.web.hosts import resolve_site
from tests.conftest import csrf_token_from, host_client
from tests.settings.helpers import drain, signed_up_admin

BASE = "/t/riverton/settings"


class Records:
    """What the local DNS server answers: name -> TXT values."""

    def __init__(self):
        self.txt: dict[str, list[str]] = {}


@pytest.fixture
def dns_server(app):
    from dnslib import QTYPE, RCODE, RR, TXT
    from dnslib.server import BaseResolver, DNSServer

    records = Records()

    class Resolver(BaseResolver):
        def resolve(self, request, handler):
            reply = request.reply()
            name = str(request.q.qname).rstrip(".").lower()
            if request.q.qtype == QTYPE.TXT and name in records.txt:
                for value in records.txt[name]:
                    reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
            elif name not in records.txt:
                reply.header.rcode = RCODE.NXDOMAIN
            return reply

    server = DNSServer(Resolver(), address="127.0.0.1", port=0, tcp=False)
    server.start_thread()
    port = server.server.server_address[1]
    app.config["DNS_RESOLVER"] = f"127.0.0.1:{port}"
    yield records
    app.config.pop("DNS_RESOLVER", None)
    server.stop()


def _post(client, path, data):
    token = csrf_token_from(client.get(f"{BASE}/domain").get_data(as_text=True))
    return client.post(f"{BASE}/domain{path}", data={"csrf_token": token, **data})


def _domain(app) -> TenantDomain:
    with app.app_context():
        domain = db.session.scalar(select(TenantDomain))
        db.session.expunge(domain)
        return domain


def test_a_domain_is_verified_by_its_txt_record_and_then_serves_the_city(app, dns_server):
    client = signed_up_admin(app)
    bad = _post(client, "", {"hostname": "https://311.riverton.gov/"})
    assert bad.status_code == 422 and 'id="hostname-error"' in bad.get_data(as_text=True)
    platform = _post(client, "", {"hostname": "riverton.localhost"})
    assert platform.status_code == 422 and "not an address of this platform" in platform.get_data(as_text=True)
    assert _post(client, "", {"hostname": "311.Riverton.gov"}).status_code == 302
    domain = _domain(app)
    page = client.get(f"{BASE}/domain").get_data(as_text=True)
    assert "_civic311.311.riverton.gov" in page and domain.verification_token in page

    # no record yet: the check says what it looked for
    assert _post(client, f"/{domain.id}/check", {}).status_code == 302
    drain(app)
    domain = _domain(app)
    assert domain.verified_at is None and "No TXT record _civic311.311.riverton.gov" in domain.last_check_error
    with app.test_request_context():
        assert resolve_site("311.riverton.gov", "localhost") is None

    # a wrong value is not enough
    dns_server.txt["_civic311.311.riverton.gov"] = ["google-site-verification=abc"]
    _post(client, f"/{domain.id}/check", {})
    drain(app)
    assert _domain(app).verified_at is None

    dns_server.txt["_civic311.311.riverton.gov"] = ["google-site-verification=abc", domain.verification_token]
    _post(client, f"/{domain.id}/check", {})
    drain(app)
    domain = _domain(app)
    assert domain.verified_at is not None and domain.last_check_error is None
    assert "verified" in client.get(f"{BASE}/domain").get_data(as_text=True)
    with app.test_request_context():
        site = resolve_site("311.riverton.gov", "localhost")
        assert site is not None and site.tenant.slug == "riverton"
    # the portal host answers on it (404 only for an unknown host)
    resident = host_client(app, "311.riverton.gov")
    assert host_client(app, "unknown.example.org").get("/").status_code == 404
    being_set_up = resident.get("/")  # Riverton has not gone live: its own "being set up" page
    assert being_set_up.status_code == 503 and "Riverton" in being_set_up.get_data(as_text=True)
    with app.app_context():
        from civic311.db import utcnow
        from civic311.tenants.models import Tenant

        db.session.scalar(select(Tenant).where(Tenant.slug == "riverton")).live_at = utcnow()
        db.session.commit()
    home = resident.get("/")
    assert home.status_code == 200 and "Riverton" in home.get_data(as_text=True)
    assert "/report" in home.get_data(as_text=True)  # the report form, on the city's own domain


def test_a_domain_of_another_city_is_refused(app, dns_server):
    client = signed_up_admin(app)
    assert _post(client, "", {"hostname": "311.riverton.gov"}).status_code == 302
    other = signed_up_admin(app, slug="lakeside", name="Lakeside", email="lee@lakeside.gov")
    token = csrf_token_from(other.get("/t/lakeside/settings/domain").get_data(as_text=True))
    taken = other.post("/t/lakeside/settings/domain", data={"csrf_token": token, "hostname": "311.riverton.gov"})
    assert taken.status_code == 422 and "already registered" in taken.get_data(as_text=True)
    domain = _domain(app)
    assert other.post(f"/t/lakeside/settings/domain/{domain.id}/remove",
                      data={"csrf_token": token}).status_code == 404


def test_an_unverified_claim_lapses_after_a_week_for_the_real_owner(app, dns_server):
    from datetime import timedelta

    from civic311.db import utcnow

    client = signed_up_admin(app)
    assert _post(client, "", {"hostname": "311.lakeside.gov"}).status_code == 302  # not riverton's to claim
    other = signed_up_admin(app, slug="lakeside", name="Lakeside", email="lee@lakeside.gov")

    def claim():
        token = csrf_token_from(other.get("/t/lakeside/settings/domain").get_data(as_text=True))
        return other.post("/t/lakeside/settings/domain", data={"csrf_token": token, "hostname": "311.lakeside.gov"})

    assert claim().status_code == 422  # still within the week riverton has to prove it
    with app.app_context():
        domain = db.session.scalar(select(TenantDomain).where(TenantDomain.hostname == "311.lakeside.gov"))
        domain.created_at = utcnow() - timedelta(days=8)
        db.session.commit()
    assert claim().status_code == 302
    with app.app_context():
        owners = list(db.session.scalars(select(TenantDomain).where(TenantDomain.hostname == "311.lakeside.gov")))
        assert len(owners) == 1 and owners[0].tenant.slug == "lakeside" and owners[0].verified_at is None


def test_the_periodic_recheck_verifies_a_domain_once_its_record_appears(app, dns_server):
    from civic311.jobs import run_job_in_app

    client = signed_up_admin(app)
    assert _post(client, "", {"hostname": "311.riverton.gov"}).status_code == 302
    assert run_job_in_app(app, "civic311.tenants.domains:recheck_unverified", None) == 0
    domain = _domain(app)
    assert domain.last_checked_at is not None and domain.verified_at is None
    dns_server.txt["_civic311.311.riverton.gov"] = [domain.verification_token]
    assert run_job_in_app(app, "civic311.tenants.domains:recheck_unverified", None) == 1
    assert _domain(app).verified_at is not None
