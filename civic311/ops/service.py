"""The operators' workspace: an operator organization's cities, the work waiting in each, and which
city a call belongs to by the line it came in on.

Each city is read inside its own `tenant_context`; the list of cities itself comes from
`accounts.access.cities_for`, the one logged crossing between tenants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from civic311.accounts.access import cities_for
from civic311.accounts.models import OperatorContract, User
from civic311.console.models import Contact
from civic311.db import db, utcnow
from civic311.platform.models import OPEN_STATUSES, ServiceRequest
from civic311.tenancy import tenant_context
from civic311.tenants.models import Tenant


@dataclass
class ContractedCity:
    tenant: Tenant
    contract: OperatorContract
    waiting: dict[str, int] = field(default_factory=dict)


def _digits(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _contract_in_current_city(user: User) -> OperatorContract | None:
    return db.session.scalar(select(OperatorContract).where(
        OperatorContract.operator_org_id == user.operator_org_id, OperatorContract.revoked_at.is_(None)))


def contracted_cities(user: User) -> list[ContractedCity]:
    """The cities the user's organization is contracted with today, and nothing else."""
    if user.operator_org_id is None:
        return []
    result = []
    for tenant, _role in cities_for(user):
        with tenant_context(tenant.id):
            contract = _contract_in_current_city(user)
        if contract is not None:
            result.append(ContractedCity(tenant, contract))
    return result


def waiting_work(user: User) -> list[ContractedCity]:
    """Each contracted city with the work waiting in it: new (not yet acknowledged) requests, open
    requests past due, and the contacts this organization handled there today."""
    cities = contracted_cities(user)
    now = utcnow()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for city in cities:
        with tenant_context(city.tenant.id):
            counts = dict(db.session.execute(
                select(ServiceRequest.status, func.count()).where(ServiceRequest.status.in_(OPEN_STATUSES))
                .group_by(ServiceRequest.status)).all())
            breached = db.session.scalar(select(func.count()).select_from(ServiceRequest).where(
                ServiceRequest.status.in_(OPEN_STATUSES), ServiceRequest.due_at <= now))
            contacts_today = db.session.scalar(select(func.count()).select_from(Contact).where(
                Contact.operator_org_id == user.operator_org_id, Contact.created_at >= start_of_day))
        city.waiting = {"new": counts.get("new", 0), "open": sum(counts.values()), "breached": breached or 0,
                        "contacts_today": contacts_today or 0}
    return cities


def city_for_line(user: User, line: str) -> ContractedCity | None:
    """The contracted city whose line a call came in on (digits compared, so formatting does not matter)."""
    wanted = _digits(line)
    if not wanted:
        return None
    for city in contracted_cities(user):
        if _digits(city.contract.phone_line) == wanted:
            return city
    return None
