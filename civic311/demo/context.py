"""What each feature's demo step receives: the seeded cities, people and a place to say what it made."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from flask import Flask

DEMO_PASSWORD = "demo-password"

# Each feature adds its part of the demo in `civic311/<feature>/demo.py`, function `seed(ctx)`,
# run in this order after the base seed (cities, people, catalog, requests).
DEMO_STEPS = (
    "civic311.kb.demo",
    "civic311.console.demo",
    "civic311.ops.demo",
    "civic311.open311.demo",
    "civic311.portal.demo",
    "civic311.signup.demo",
    "civic311.tenants.demo",
    "civic311.billing.demo",
    "civic311.admin.demo",
)


@dataclass
class DemoContext:
    app: Flask
    cities: dict = field(default_factory=dict)  # slug -> Tenant
    users: dict = field(default_factory=dict)  # email -> User
    operator_org: object | None = None
    summary_lines: list[str] = field(default_factory=list)  # printed after the logins
    rng: random.Random = field(default_factory=lambda: random.Random(311))

    def say(self, line: str) -> None:
        self.summary_lines.append(line)
