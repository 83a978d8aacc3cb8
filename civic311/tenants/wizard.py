"""The setup wizard: ten steps, each one a settings page, with progress kept in `tenant.setup_state`
so a clerk can stop and come back (or do a step later from the settings menu)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from civic311 import audit
from civic311.tenants.models import Tenant


@dataclass(frozen=True)
class Step:
    key: str
    title: object
    endpoint: str
    summary: object


STEPS = (
    Step("catalog", _l("Departments and categories"), "settings.catalog",
         _l("What residents can report, which department handles it, and how fast.")),
    Step("branding", _l("Branding"), "settings.branding",
         _l("Logo, colours, welcome text, phone and hours, and the map.")),
    Step("channels", _l("Channels"), "settings.channels",
         _l("Portal, Open311 API, agent desk, e-mail and SMS, and which categories each offers.")),
    Step("hours", _l("Working hours and holidays"), "settings.hours",
         _l("When the clock runs for targets, national holidays, and escalation.")),
    Step("zones", _l("Zones"), "settings.zones", _l("Wards or districts from a GeoJSON file, shown on a map.")),
    Step("routing", _l("Routing rules"), "settings.routing", _l("Where each request goes, and a box to test it.")),
    Step("staff", _l("Staff"), "settings.staff", _l("Invite colleagues and give a contact center access.")),
    Step("kb", _l("Knowledge base"), "settings.kb", _l("Answers for residents and agents, to start from.")),
    Step("domain", _l("Custom domain"), "settings.domain", _l("Your own address, such as 311.yourcity.gov.")),
    Step("golive", _l("Preview and go live"), "settings.go_live", _l("See the portal as a resident, then open it.")),
)
STEP_KEYS = tuple(step.key for step in STEPS)


def done_keys(tenant: Tenant) -> set[str]:
    return set((tenant.setup_state or {}).get("done", []))


def next_step(tenant: Tenant, after: str | None = None) -> Step | None:
    """The step after `after` that is not done yet (or the first one not done)."""
    done = done_keys(tenant)
    start = STEP_KEYS.index(after) + 1 if after in STEP_KEYS else 0
    for step in STEPS[start:] + STEPS[:start]:
        if step.key not in done:
            return step
    return None


def mark_done(tenant: Tenant, key: str) -> None:
    if key not in STEP_KEYS or key in done_keys(tenant):
        return
    state = dict(tenant.setup_state or {})  # a new dict: JSON columns only save on reassignment
    state["done"] = [k for k in STEP_KEYS if k in done_keys(tenant) | {key}]
    tenant.setup_state = state
    audit.record("setup.step_done", target=tenant, details={"step": key})


def progress(tenant: Tenant) -> tuple[int, int]:
    return len(done_keys(tenant) & set(STEP_KEYS)), len(STEPS)
