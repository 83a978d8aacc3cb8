"""`civic311 demo`: a SQLite database built from the migrations and seeded with two cities.

First run: run the migrations into `instance/civic311.sqlite`, create the platform admin, the
"Callcenter" operator organization and its agent, the cities of Springfield and Shelbyville (branding,
wards, the starter catalog, staff, a contract with Callcenter), replay several hundred real 311
requests into each (see replay.py), then run each feature's demo step. Later runs reuse the database;
`--reset` deletes it and the uploads folder and starts over. No PostgreSQL, Redis or network needed.
"""

from __future__ import annotations

import importlib
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from unittest import mock

import click
import pyotp
from flask import Flask
from sqlalchemy import select

from civic311.accounts.models import User
from civic311.accounts.passwords import hash_password, new_totp_secret
from civic311.accounts.service import create_operator_org, create_user, grant_contract, grant_membership
from civic311.actor import Actor, acting_as
from civic311.db import db, utcnow
from civic311.demo.context import DEMO_PASSWORD, DEMO_STEPS, DemoContext
from civic311.demo.replay import Staff, replay_city
from civic311.platform.zones import bounds_of
from civic311.tenancy import tenant_context
from civic311.tenants.catalog import Department, Zone
from civic311.tenants.models import Tenant
from civic311.tenants.service import create_tenant
from civic311.tenants.starter_catalog import adopt_starter_catalog

log = logging.getLogger("civic311.demo")
MARKER = "demo.json"  # written when seeding finished: what the next run reuses and prints


class DemoError(click.ClickException):
    """Shown to the person running `civic311 demo` as a plain message."""


CITIES = (
    {
        "slug": "springfield", "name": "Springfield", "display_name": "City of Springfield",
        "timezone": "America/Chicago", "primary_color": "#1f4e79", "accent_color": "#c75b12",
        "phone": "(217) 555-0311", "hours_text": "Monday to Friday, 8 a.m. to 5 p.m.",
        "contact_email": "311@springfield.test", "center": (39.7817, -89.6501), "span": (0.045, 0.065),
        "welcome": {
            "en": "Report a pothole, a broken street light, missed trash and more. We route every report to the "
                  "right crew and keep you posted.",
            "es": "Reporte un bache, una farola apagada, basura no recogida y más. Enviamos cada reporte al equipo "
                  "correcto y le mantenemos informado.",
        },
    },
    {
        "slug": "shelbyville", "name": "Shelbyville", "display_name": "Shelbyville 311",
        "timezone": "America/Chicago", "primary_color": "#2e6b30", "accent_color": "#b8860b",
        "phone": "(217) 555-0199", "hours_text": "Monday to Friday, 7:30 a.m. to 4:30 p.m.",
        "contact_email": "help@shelbyville.test", "center": (39.4064, -88.7901), "span": (0.022, 0.032),
        "welcome": {
            "en": "Shelbyville 311: tell us what needs fixing in town, day or night.",
            "es": "Shelbyville 311: díganos qué hay que arreglar en la ciudad, de día o de noche.",
        },
    },
)
GREETING = ("Thank you for calling {city} 311, this is {agent}. If anyone is in danger, please hang up and dial "
            "911. How can I help you today?")


@dataclass
class Login:
    email: str
    role: str
    totp_secret: str | None = None


@dataclass
class DemoSummary:
    database: Path
    platform_domain: str
    reused: bool
    seconds: float
    cities: list[dict] = field(default_factory=list)  # slug, name, requests
    logins: list[Login] = field(default_factory=list)
    summary_lines: list[str] = field(default_factory=list)

    def render(self, port: int) -> str:
        base = f"http://{self.platform_domain}:{port}"
        lines = [
            f"civic311 demo: reusing {self.database} (civic311 demo --reset starts over)" if self.reused else
            f"civic311 demo: seeded {self.database} in {self.seconds:.1f} s",
            "",
            f"  Platform (sign in, staff console, admin)  {base}/",
        ]
        for city in self.cities:
            host = f"http://{city['slug']}.{self.platform_domain}:{port}"
            lines += [
                f"  {city['name']} resident portal{'':<{max(0, 14 - len(city['name']))}}{host}/",
                f"  {city['name']} staff console{'':<{max(0, 16 - len(city['name']))}}{base}/t/{city['slug']}/",
                f"  {city['name']} Open311 API{'':<{max(0, 18 - len(city['name']))}}{host}/open311/v2/discovery.json",
            ]
        lines += ["", f"Logins (password for all: {DEMO_PASSWORD}):"]
        for login in self.logins:
            line = f"  {login.email:<28} {login.role}"
            if login.totp_secret:
                code = pyotp.TOTP(login.totp_secret).now()
                line += f"\n  {'':<28} 2FA: secret {login.totp_secret} (code right now: {code})"
            lines.append(line)
        counts = ", ".join(f"{c['name']} {c['requests']} requests" for c in self.cities)
        lines += ["", f"Seeded: {counts}."]
        lines += [f"  {line}" for line in self.summary_lines]
        return "\n".join(lines)


def prepare_demo(app: Flask, reset: bool = False, requests_per_city: int | None = None) -> DemoSummary:
    """Build (or reuse) the demo database and describe how to use it.

    `requests_per_city` replays only the first N requests of each city (tests use it to stay quick)."""
    settings = app.config["CIVIC311"]
    if not settings.database_url.startswith("sqlite:///"):
        raise DemoError("the demo uses its own SQLite database: unset DATABASE_URL to run it")
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    marker = Path(app.instance_path) / MARKER
    started = time.monotonic()
    state = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else None
    if not reset and state is None and database.exists():
        raise DemoError(f"{database} exists and is not a demo database; `civic311 demo --reset` replaces it")
    with app.app_context():
        if reset or state is None or state.get("state") != "ready":  # "seeding": an interrupted first run
            _wipe(database, Path(settings.upload_dir), marker)
            marker.write_text(json.dumps({"state": "seeding"}), encoding="utf-8")
            _build_schema(app)
            info = {"state": "ready", **_seed(app, requests_per_city)}
            marker.write_text(json.dumps(info, indent=1), encoding="utf-8")
            reused = False
        else:
            info = state
            reused = True
        logins = _logins(info["logins"])
    return DemoSummary(database=database, platform_domain=settings.platform_domain, reused=reused,
                       seconds=time.monotonic() - started, cities=info["cities"], logins=logins,
                       summary_lines=info["summary_lines"])


def _wipe(database: Path, uploads: Path, marker: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    for path in (marker, database, *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal"))):
        path.unlink(missing_ok=True)
    shutil.rmtree(uploads, ignore_errors=True)


def _build_schema(app: Flask) -> None:
    from civic311.migration_runner import upgrade

    upgrade(app)


# --- seeding ------------------------------------------------------------------------------------

def _seed(app: Flask, limit: int | None) -> dict:
    ctx = DemoContext(app=app)
    now = utcnow()
    _people(ctx)
    cities = []
    for spec in CITIES:
        tenant, count = _city(ctx, spec, now, limit)
        cities.append({"slug": tenant.slug, "name": tenant.name, "requests": count})
    db.session.commit()
    _run_feature_steps(ctx)
    logins = [
        {"email": "admin@civic311.test", "role": "platform admin (2FA)"},
        {"email": "admin@springfield.test", "role": "Springfield city admin"},
        {"email": "supervisor@springfield.test", "role": "Springfield supervisor"},
        {"email": "staff@springfield.test", "role": "Springfield staff, Public Works only"},
        {"email": "admin@shelbyville.test", "role": "Shelbyville city admin"},
        {"email": "agent@callcenter.test", "role": "agent of operator Callcenter, works both cities (2FA)"},
    ]
    return {"cities": cities, "logins": logins, "summary_lines": ctx.summary_lines,
            "seeded_at": now.isoformat()}


def _people(ctx: DemoContext) -> None:
    # Every demo login has the same password: hash it once (argon2 is slow on purpose).
    shared_hash = hash_password(DEMO_PASSWORD)

    def user(email: str, name: str, **kw) -> User:
        with mock.patch("civic311.accounts.service.hash_password", lambda _password: shared_hash):
            row = create_user(email, name, DEMO_PASSWORD, verified=True, **kw)
        ctx.users[email] = row
        return row

    admin = user("admin@civic311.test", "Pat Platform", platform_admin=True)
    org = create_operator_org("Callcenter", "callcenter")
    ctx.operator_org = org
    agent = user("agent@callcenter.test", "Alex Rivera", operator_org=org, operator_role="agent")
    for totp_user in (admin, agent):  # 2FA is required for reach across cities: enrolled already
        totp_user.totp_secret = new_totp_secret()
        totp_user.totp_enabled_at = utcnow()
    user("admin@springfield.test", "Morgan Ellis")
    user("supervisor@springfield.test", "Dana Brooks")
    user("staff@springfield.test", "Sam Okafor")
    user("admin@shelbyville.test", "Jordan Pike")
    db.session.flush()


DEMO_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEMO_TILE_ATTRIBUTION = "© OpenStreetMap contributors"  # what OpenStreetMap's tile policy asks maps to show


def _city(ctx: DemoContext, spec: dict, now: datetime, limit: int | None) -> tuple[Tenant, int]:
    tenant = create_tenant(slug=spec["slug"], name=spec["name"], timezone=spec["timezone"], status="active")
    lat, lng = spec["center"]
    for key in ("display_name", "primary_color", "accent_color", "phone", "hours_text", "contact_email"):
        setattr(tenant, key, spec[key])
    tenant.welcome_text = dict(spec["welcome"])
    tenant.map_center = [lat, lng]
    # OpenStreetMap's standard tiles, as a city would configure its own tile server; with no network the
    # map shows no tiles and every location field still works on its own.
    tenant.tile_url = DEMO_TILE_URL
    tenant.tile_attribution = DEMO_TILE_ATTRIBUTION
    tenant.live_at = now
    ctx.cities[tenant.slug] = tenant
    dlat, dlng = spec["span"]
    bounds = (lat - dlat, lng - dlng, lat + dlat, lng + dlng)
    with tenant_context(tenant.id):
        admin = ctx.users[f"admin@{tenant.slug}.test"]
        admin_actor = Actor(label=admin.name, user_id=admin.id, is_staff=True)
        with acting_as(admin_actor):
            _wards(bounds)
            adopt_starter_catalog()
            departments = {d.name: d for d in db.session.scalars(select(Department))}
            for name, department in departments.items():
                slug = name.lower().replace(" and ", "-").replace(" ", "-")
                department.contact_email = f"{slug}@{tenant.slug}.test"
            grant_membership(admin, "admin")
            workers, limited_to = [admin_actor], {}
            if tenant.slug == "springfield":
                supervisor = ctx.users["supervisor@springfield.test"]
                staff = ctx.users["staff@springfield.test"]
                grant_membership(supervisor, "supervisor")
                grant_membership(staff, "staff", [departments["Public Works"].id])
                departments["Public Works"].supervisor_user_id = supervisor.id
                workers += [Actor(label=u.name, user_id=u.id, is_staff=True) for u in (supervisor, staff)]
                limited_to[staff.name] = {departments["Public Works"].id}
            agent = ctx.users["agent@callcenter.test"]
            grant_contract(ctx.operator_org, phone_line=spec["phone"],
                           script=GREETING.format(city=spec["name"], agent=agent.name.split()[0]))
        agent_actor = Actor(label=f"{agent.name} (Callcenter)", user_id=agent.id,
                            operator_org_id=ctx.operator_org.id, is_staff=True)
        crew = Staff(workers=workers, desk=admin_actor, agent=agent_actor, limited_to=limited_to)
        stats = replay_city(tenant, bounds, crew, now, limit)
        db.session.commit()
    log.info("demo: %s: %s requests (%s open, %s closed, %s merged, %s reopened)", tenant.slug, stats.filed,
             stats.open, stats.closed, stats.merged, stats.reopened)
    return tenant, stats.filed


def _wards(bounds: tuple[float, float, float, float]) -> None:
    """Four wards, one per quarter of the city's map, for routing and filters."""
    south, west, north, east = bounds
    mid_lat, mid_lng = (south + north) / 2, (west + east) / 2
    quarters = {
        "Ward 1 (Northwest)": (mid_lat, west, north, mid_lng), "Ward 2 (Northeast)": (mid_lat, mid_lng, north, east),
        "Ward 3 (Southwest)": (south, west, mid_lat, mid_lng), "Ward 4 (Southeast)": (south, mid_lng, mid_lat, east),
    }
    for name, (s, w, n, e) in quarters.items():
        geometry = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
        min_lng, min_lat, max_lng, max_lat = bounds_of(geometry)
        db.session.add(Zone(name=name, kind="ward", geometry=geometry, min_lng=min_lng, min_lat=min_lat,
                            max_lng=max_lng, max_lat=max_lat))
    db.session.flush()


def _run_feature_steps(ctx: DemoContext) -> None:
    """Each feature's `seed(ctx)`, if that feature exists yet; one failing step does not sink the demo."""
    for path in DEMO_STEPS:
        try:
            module = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if path == exc.name or path.startswith(f"{exc.name}."):
                continue
            raise
        try:
            module.seed(ctx)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 (reported in the demo's output, and logged in full)
            db.session.rollback()
            log.exception("demo step %s failed", path)
            ctx.say(f"(demo step {path} failed: {type(exc).__name__}: {exc})")


def _logins(rows: list[dict]) -> list[Login]:
    logins = []
    for row in rows:
        user = db.session.scalar(select(User).where(User.email == row["email"]))
        logins.append(Login(row["email"], row["role"], user.totp_secret if user and user.totp_enabled_at else None))
    return logins
