"""A signed-in admin of a fresh city, for the settings tests."""

from __future__ import annotations

from sqlalchemy import select

from civic311.db import db
from civic311.tenants.models import Tenant
from tests.conftest import csrf_token_from, host_client


def signed_up_admin(app, slug: str = "riverton", name: str = "Riverton", email: str = "dana@riverton.gov"):
    client = host_client(app, "localhost")
    page = client.get("/signup/")
    response = client.post("/signup/", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "city_name": name, "slug": slug,
        "admin_name": "Dana Clerk", "email": email, "password": "a long enough password",
        "timezone": "America/Chicago", "languages": ["en", "es"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def city(app, slug: str = "riverton") -> Tenant:
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        db.session.expunge(tenant)
        return tenant


def post_form(client, page_url: str, action_url: str | None = None, data: dict | None = None, **kw):
    """Load a page for its CSRF token, then post to it (or to another URL of the same page)."""
    html = client.get(page_url).get_data(as_text=True)
    payload = {"csrf_token": csrf_token_from(html), **(data or {})}
    return client.post(action_url or page_url, data=payload, **kw)


def drain(app) -> None:
    """Run queued RQ jobs now (a no-op in the inline mode, where they ran at commit)."""
    if not app.config["CIVIC311"].redis_url:
        return
    from rq import SimpleWorker

    import civic311.jobs as jobs_module
    from civic311.jobs import QUEUES, redis_connection

    jobs_module._worker_app = app
    SimpleWorker(list(QUEUES), connection=redis_connection(app)).work(burst=True, with_scheduler=False)
