"""Benchmark set-up: M cities with a pothole service and an API key, N requests spread over them.

Usage: python bench/intake_seed.py N M OUT_DIR   (DATABASE_URL / MIGRATION_DATABASE_URL in the environment)
Writes OUT_DIR/targets.lua (cities and keys for wrk) and OUT_DIR/targets.json (for the Python loader).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from civic311.app import create_app  # noqa: E402
from civic311.db import db  # noqa: E402
from civic311.platform.intake import Contact, IntakeSubmission, Location, file_request  # noqa: E402
from civic311.tenancy import tenant_context  # noqa: E402
from civic311.tenants.apikeys import issue_key  # noqa: E402
from civic311.tenants.catalog import Category, Department  # noqa: E402
from civic311.tenants.models import Tenant  # noqa: E402
from civic311.tenants.service import create_tenant  # noqa: E402

CENTER = (39.7817, -89.6501)
STREETS = ["N 5th St", "E Capitol Ave", "S Grand Ave", "W Jefferson St", "Monroe St", "Wabash Ave", "Dirksen Pkwy"]
PROBLEMS = ["Deep pothole in the right lane", "Pothole by the bus stop, cars swerving", "Crumbling edge near the curb",
            "Hole opened again after the rain", "Large pothole at the crosswalk"]


def point(rng: random.Random) -> tuple[float, float]:
    return CENTER[0] + rng.uniform(-0.05, 0.05), CENTER[1] + rng.uniform(-0.06, 0.06)


def seed_city(args: tuple[str, int, int]) -> str:
    """Fill one city (in its own process: the database round trips, not the CPU, are the limit)."""
    slug, count, seed = args
    app = create_app()
    rng = random.Random(seed)
    with app.app_context():
        tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        with tenant_context(tenant_id):
            for i in range(count):
                lat, lng = point(rng)
                file_request(IntakeSubmission(
                    service_code="pothole", channel="import", description=rng.choice(PROBLEMS),
                    location=Location(lat=lat, lng=lng, address=f"{rng.randint(100, 2999)} {rng.choice(STREETS)}"),
                    contact=Contact(name="Seed Resident", email=f"seed{i}@example.com"), notify=False))
                if i % 200 == 199:
                    db.session.commit()
            db.session.commit()
    return slug


def main(n: int, m: int, out: Path) -> None:
    app = create_app()
    targets = []
    started = time.time()
    with app.app_context():
        for index in range(m):
            slug = f"bench{index + 1}"
            tenant = create_tenant(slug=slug, name=f"Bench City {index + 1}", status="active")
            tenant.holiday_country = "US"
            db.session.commit()
            with tenant_context(tenant.id):
                dept = Department(name="Public Works", contact_email="works@example.gov")
                db.session.add(dept)
                db.session.flush()
                db.session.add(Category(service_code="pothole", name="Pothole", department_id=dept.id,
                                        sla_value=2, sla_unit="business_days"))
                _, raw = issue_key("benchmark", rate_limit_per_minute=10_000_000)
                db.session.commit()
            targets.append({"slug": slug, "key": raw})
        db.engine.dispose()  # the children open their own connections
    with ProcessPoolExecutor(max_workers=min(m, 4)) as pool:
        jobs = [(t["slug"], n // m, 311 + i) for i, t in enumerate(targets)]
        for slug in pool.map(seed_city, jobs):
            print(f"  seeded {slug}: {n // m} requests ({time.time() - started:.0f} s)", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "targets.json").write_text(json.dumps(targets))
    domain = os.environ.get("PLATFORM_DOMAIN", "localhost")
    rows = "".join(f'  {{host = "{t["slug"]}", key = "{t["key"]}"}},\n' for t in targets)
    lua = f'platform_domain = "{domain}"\ntargets = {{\n{rows}}}\n'
    (out / "targets.lua").write_text(lua)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
