"""`civic311 demo`: two cities seeded from the migrations, reused on the next run, reset on request."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from civic311.accounts.access import city_access
from civic311.accounts.models import Membership, OperatorContract, User
from civic311.accounts.service import authenticate
from civic311.db import db, utcnow
from civic311.demo.context import DEMO_PASSWORD
from civic311.platform.models import OutboxMessage, RequestEvent, ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Category, Department, Zone
from civic311.tenants.models import Tenant
from civic311.tenants.starter_catalog import starter_data

LOGINS = ("admin@civic311.test", "admin@springfield.test", "supervisor@springfield.test", "staff@springfield.test",
          "admin@shelbyville.test", "agent@callcenter.test")


def _demo_app(instance):
    """An app as `civic311 demo` makes it: its instance folder, no DATABASE_URL, no Redis."""
    from civic311.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIVIC311_INSTANCE", str(instance))
        for name in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "S3_BUCKET", "SMTP_URL"):
            mp.delenv(name, raising=False)
        return create_app({"secret_key": "demo-test"})


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    from civic311.demo.seed import prepare_demo

    instance = tmp_path_factory.mktemp("demo-instance")
    app = _demo_app(instance)
    summary = prepare_demo(app, reset=False)
    yield app, summary, instance
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    from civic311.demo.seed import prepare_demo

    instance = tmp_path_factory.mktemp("demo-small")
    app = _demo_app(instance)
    summary = prepare_demo(app, requests_per_city=15)
    yield app, summary, instance
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _city(slug):
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def test_first_run_builds_the_database_from_the_migrations(full_demo):
    app, summary, instance = full_demo
    assert not summary.reused
    database = instance / "civic311.sqlite"
    assert summary.database == database and database.exists()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall(), "made by the migrations"
    assert (instance / "demo.json").exists()


def test_two_branded_cities_with_the_starter_catalog_and_wards(full_demo):
    app, summary, _ = full_demo
    with app.app_context():
        springfield, shelbyville = _city("springfield"), _city("shelbyville")
        assert springfield.name == "Springfield" and springfield.timezone == "America/Chicago"
        assert shelbyville.name == "Shelbyville"  # its status is the billing demo's to set
        for city in (springfield, shelbyville):
            assert city.welcome("en") and city.welcome("es") and city.welcome("es") != city.welcome("en")
            assert city.phone and city.hours_text and city.primary_color.startswith("#")
            with tenant_context(city.id):
                categories = db.session.scalars(select(Category)).all()
                assert len(categories) == sum(len(g["categories"]) for g in starter_data()["groups"])
                assert {c.service_code for c in categories} >= {"pothole", "streetlight-out", "graffiti"}
                assert len(db.session.scalars(select(Zone)).all()) == 4
                contract = db.session.scalar(select(OperatorContract))
                assert contract.active and contract.phone_line == city.phone
                assert city.name in contract.script and "911" in contract.script


def test_every_demo_login_works_with_its_role(full_demo):
    app, summary, _ = full_demo
    with app.app_context():
        for email in LOGINS:
            assert authenticate(email, DEMO_PASSWORD) is not None, email
        admin = db.session.scalar(select(User).where(User.email == "admin@civic311.test"))
        agent = db.session.scalar(select(User).where(User.email == "agent@callcenter.test"))
        assert admin.is_platform_admin and admin.totp_enabled_at and admin.totp_secret
        assert agent.operator_org.name == "Callcenter" and agent.totp_enabled_at
        springfield, shelbyville = _city("springfield"), _city("shelbyville")
        with tenant_context(springfield.id):
            roles = {db.session.get(User, m.user_id).email: m for m in db.session.scalars(select(Membership))}
            assert roles["admin@springfield.test"].role == "admin"
            assert roles["supervisor@springfield.test"].role == "supervisor"
            staff = roles["staff@springfield.test"]
            public_works = db.session.scalar(select(Department).where(Department.name == "Public Works"))
            assert staff.role == "staff" and staff.department_ids == [str(public_works.id)]
            assert "admin@shelbyville.test" not in roles
            assert city_access(agent, springfield).role == "agent"
        with tenant_context(shelbyville.id):
            assert city_access(agent, shelbyville).role == "agent"
            shelby_admin = db.session.scalar(select(User).where(User.email == "admin@shelbyville.test"))
            assert city_access(shelby_admin, shelbyville).role == "admin"
            staff_user = db.session.scalar(select(User).where(User.email == "staff@springfield.test"))
            assert city_access(staff_user, shelbyville) is None


def test_several_hundred_requests_per_city_in_realistic_states(full_demo):
    app, summary, _ = full_demo
    now = utcnow()
    assert {c["slug"]: c["requests"] >= 250 for c in summary.cities} == {"springfield": True, "shelbyville": True}
    with app.app_context():
        for slug in ("springfield", "shelbyville"):
            with tenant_context(_city(slug).id):
                requests = db.session.scalars(select(ServiceRequest)).all()
                assert len(requests) >= 250
                assert {r.status for r in requests} == {"new", "acknowledged", "in_progress", "closed"}
                reasons = {r.close_reason for r in requests if r.status == "closed"}
                assert {"resolved", "duplicate", "not_actionable"} <= reasons
                assert {r.channel for r in requests} >= {"portal", "phone", "api", "walk_in"}
                assert any(r.reopened_count for r in requests)
                merged = [r for r in requests if r.close_reason == "duplicate"]
                assert merged and all(r.duplicate_of_id for r in merged)
                assert any(r.anonymous for r in requests) and any(r.reporter_locale == "es" for r in requests)
                assert all(r.number.startswith(f"{_city(slug).tracking_prefix}-") for r in requests)
                assert any(r.operator_org_id for r in requests if r.channel == "phone"), "agents took calls"
                # Re-dated to the last six weeks, and the history matches.
                requested = sorted(r.requested_at for r in requests)
                assert now - timedelta(days=43) <= requested[0] < now - timedelta(days=30)
                assert requested[-1] <= now and requested[-1] > now - timedelta(days=3)
                for r in requests:
                    times = [e.at for e in r.history]
                    assert times == sorted(times) and times[0] == r.requested_at and times[-1] <= now
                    if r.closed_at:
                        assert r.requested_at < r.closed_at <= now and r.sla_state in ("met", "missed")
                    assert r.lat and abs(r.lat - _city(slug).map_center[0]) < 0.06
                assert any(e.kind == "merged" for e in db.session.scalars(select(RequestEvent)))
                assert not db.session.scalars(select(OutboxMessage)).all(), "no e-mail about the replayed past"


def test_second_run_reuses_the_database(full_demo):
    from civic311.demo.seed import prepare_demo

    app, first, _ = full_demo
    with app.app_context():
        before = {slug: _count_requests(slug) for slug in ("springfield", "shelbyville")}
    again = prepare_demo(app)
    assert again.reused and again.cities == first.cities
    with app.app_context():
        assert {slug: _count_requests(slug) for slug in before} == before
        assert len(db.session.scalars(select(Tenant)).all()) == 2


def _count_requests(slug):
    with tenant_context(_city(slug).id):
        return len(db.session.scalars(select(ServiceRequest)).all())


def test_render_prints_urls_logins_and_2fa_codes(full_demo):
    app, summary, _ = full_demo
    text = summary.render(5000)
    for url in ("http://localhost:5000/", "http://springfield.localhost:5000/", "http://localhost:5000/t/springfield/",
                "http://shelbyville.localhost:5000/", "http://springfield.localhost:5000/open311/v2/discovery.json"):
        assert url in text
    assert DEMO_PASSWORD in text
    for email in LOGINS:
        assert email in text
    admin_secret = next(login.totp_secret for login in summary.logins if login.email == "admin@civic311.test")
    assert admin_secret in text and pyotp.TOTP(admin_secret).now() in text or pyotp.TOTP(admin_secret).at(
        utcnow() - timedelta(seconds=30)) in text
    staff = next(login for login in summary.logins if login.email == "staff@springfield.test")
    assert staff.totp_secret is None and "Public Works" in staff.role


def test_reset_starts_over(small_demo):
    from civic311.demo.seed import prepare_demo

    app, summary, instance = small_demo
    uploads = instance / "uploads"
    uploads.mkdir(exist_ok=True)
    (uploads / "leftover.jpg").write_bytes(b"old")
    with app.app_context():
        first_ids = {str(t.id) for t in db.session.scalars(select(Tenant))}
    again = prepare_demo(app, reset=True, requests_per_city=15)
    assert not again.reused and not (uploads / "leftover.jpg").exists()
    with app.app_context():
        tenants = db.session.scalars(select(Tenant)).all()
        assert sorted(t.slug for t in tenants) == ["shelbyville", "springfield"]
        assert not first_ids & {str(t.id) for t in tenants}, "a fresh database, not the old one"
        assert 15 <= _count_requests("springfield") <= 23


def test_cli_demo_no_serve_prints_the_logins(small_demo):
    from civic311.cli import main

    app, _, instance = small_demo
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--port", "8080"],
                                env={"CIVIC311_INSTANCE": str(instance), "DATABASE_URL": "", "REDIS_URL": ""})
    assert result.exit_code == 0, result.output
    assert "reusing" in result.output
    assert "http://springfield.localhost:8080/" in result.output
    for email in LOGINS:
        assert email in result.output
    assert DEMO_PASSWORD in result.output and "2FA" in result.output


def test_cli_demo_then_serves_the_app(small_demo, monkeypatch):
    """Without --no-serve the command starts a server (app.run() would be ignored inside the CLI)."""
    import werkzeug.serving

    from civic311.cli import main

    _, _, instance = small_demo
    served = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple",
                        lambda host, port, app, **kw: served.update(host=host, port=port, app=app))
    result = CliRunner().invoke(main, ["demo", "--port", "8081"],
                                env={"CIVIC311_INSTANCE": str(instance), "DATABASE_URL": "", "REDIS_URL": ""})
    assert result.exit_code == 0, result.output
    assert served["port"] == 8081 and served["host"] == "127.0.0.1" and served["app"].name == "civic311"


def test_public_works_staff_only_ever_touched_public_works_requests(full_demo):
    app, _, _ = full_demo
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == "staff@springfield.test"))
        with tenant_context(_city("springfield").id):
            public_works = db.session.scalar(select(Department).where(Department.name == "Public Works"))
            mine = select(ServiceRequest).where(ServiceRequest.assignee_user_id == staff.id)
            assigned = db.session.scalars(mine).all()
            acted = db.session.scalars(select(RequestEvent).where(RequestEvent.actor_user_id == staff.id)).all()
            assert assigned and acted
            assert {r.department_id for r in assigned} == {public_works.id}
            assert {e.request.department_id for e in acted} == {public_works.id}


def test_the_app_ships_its_own_data_and_never_reads_the_shared_folder():
    from pathlib import Path

    import civic311
    from civic311.demo.replay import SEED_FILE
    from civic311.tenants.starter_catalog import DATA_FILE

    package = Path(civic311.__file__).resolve().parent
    assert SEED_FILE.is_relative_to(package) and DATA_FILE.is_relative_to(package)
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "shared/data" not in text and "../shared" not in text, source


def test_an_existing_non_demo_database_is_never_wiped_without_reset(tmp_path):
    from civic311.demo.seed import DemoError, prepare_demo

    app = _demo_app(tmp_path)
    (tmp_path / "civic311.sqlite").write_bytes(b"someone's own data")
    with pytest.raises(DemoError, match="--reset"):
        prepare_demo(app)
    assert (tmp_path / "civic311.sqlite").read_bytes() == b"someone's own data"


def test_an_interrupted_first_run_starts_over(small_demo):
    from civic311.demo.seed import prepare_demo

    app, _, instance = small_demo
    (instance / "demo.json").write_text('{"state": "seeding"}')
    summary = prepare_demo(app, requests_per_city=15)
    assert not summary.reused
    with app.app_context():
        assert sorted(t.slug for t in db.session.scalars(select(Tenant))) == ["shelbyville", "springfield"]


def test_holidays_are_not_doubled_the_national_calendar_plus_only_local_rows(full_demo):
    """The national calendar is read live by the SLA clock; copying it into rows listed each holiday twice."""
    import holidays

    from civic311.platform.sla import BusinessCalendar
    from civic311.tenants.catalog import Holiday

    app, _, _ = full_demo
    with app.app_context():
        for slug in ("springfield", "shelbyville"):
            city = _city(slug)
            assert city.holiday_country == "US", slug
            with tenant_context(city.id):
                rows = db.session.scalars(select(Holiday)).all()
                days = [date.fromisoformat(h.day) for h in rows]
                national = holidays.country_holidays("US", years={d.year for d in days})
                assert rows and not [d for d in days if d in national], f"{slug} copies national holidays"
                assert len(days) == len(set(days))
                assert "Lincoln's Birthday" in {h.name for h in rows}  # an Illinois holiday, not a national one
                calendar = BusinessCalendar.for_tenant(city)
                assert set(days) <= calendar.holidays  # the city's own rows stop the clock too
                this_year = date.today().year
                assert date(this_year, 12, 25) in calendar.holidays and date(this_year, 7, 4) in calendar.holidays
