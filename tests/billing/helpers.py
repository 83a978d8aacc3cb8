"""Shared by the billing and admin tests: signing in, draining queued jobs, a city with an admin."""

from __future__ import annotations

from civic311.db import db, utcnow


def forget_request_user() -> None:
    """Tests share one app context across requests, and Flask-Login caches the signed-in user in `g`
    (per request in production): drop it so the next request loads its own."""
    from flask import g

    g.pop("_login_user", None)


def sign_in(client, user) -> None:
    """Sign a staff user in on the platform host (the login form itself is tested by accounts)."""
    forget_request_user()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["_host"] = "localhost"
        sess["_seen"] = int(utcnow().timestamp())


def drain_jobs(app) -> int:
    """With Redis, run what the queues hold, in this app (as a worker would); inline mode ran them already."""
    if not app.config["CIVIC311"].redis_url:
        return 0
    from civic311.jobs import QUEUES, rq_queue, run_job_in_app

    ran = 0
    for _ in range(20):
        found = False
        for name in QUEUES:
            queue = rq_queue(app, name)
            for job_id in queue.get_job_ids():
                job = queue.fetch_job(job_id)
                queue.remove(job_id)
                if job is None:
                    continue
                found = True
                path, tenant_id, *args = job.args
                try:
                    run_job_in_app(app, path, tenant_id, *args)
                except Exception:  # as in the inline mode: a failed job is logged, not raised into the test
                    import logging

                    logging.getLogger("tests").exception("job %s failed", path)
                ran += 1
        if not found:
            break
    return ran


def make_city_admin(tenant, email: str = "mayor@alpha.example", name: str = "Ada Mayor"):
    from civic311.accounts.service import create_user, grant_membership
    from civic311.tenancy import tenant_context

    user = create_user(email, name, "correct horse battery", verified=True)
    with tenant_context(tenant.id):
        grant_membership(user, "admin")
        db.session.commit()
    return user


def make_platform_admin(email: str = "ops@civic311.example", name: str = "Pat Platform"):
    from civic311.accounts.service import create_user

    user = create_user(email, name, "correct horse battery", platform_admin=True, verified=True)
    user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    user.totp_enabled_at = utcnow()
    db.session.commit()
    return user


def file_pothole(tenant, description: str = "Deep hole by the school"):
    """One real request through intake (with the category it needs), inside the city."""
    from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request
    from civic311.tenancy import tenant_context
    from civic311.tenants.catalog import Category, Department

    with tenant_context(tenant.id):
        from sqlalchemy import select

        if db.session.scalar(select(Category).where(Category.service_code == "pothole")) is None:
            dept = Department(name="Public Works")
            db.session.add(dept)
            db.session.flush()
            db.session.add(Category(service_code="pothole", name="Pothole", department_id=dept.id, sla_value=2,
                                    sla_unit="business_days"))
            db.session.flush()
        result = file_request(IntakeSubmission(
            service_code="pothole", channel="portal", answers={}, description=description,
            location=Location(lat=39.78, lng=-89.65), contact=Contact(email="res@example.com")))
        db.session.commit()
        return result.request
