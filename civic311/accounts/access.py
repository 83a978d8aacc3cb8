"""Who may work in which city. Checked on every console request: the city comes from the path,
never from a remembered "active tenant"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from civic311.accounts.models import Membership, OperatorContract, User
from civic311.db import db, utcnow
from civic311.tenancy import all_tenants, tenant_context
from civic311.tenants.models import Tenant

ROLE_RANK = {"agent": 1, "staff": 2, "supervisor": 3, "admin": 4}


@dataclass(frozen=True)
class CityAccess:
    tenant: Tenant
    role: str  # admin, supervisor, staff, agent
    department_ids: tuple[str, ...] = ()
    via: str = "membership"  # membership, operator, support

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def can_see_department(self, department_id: uuid.UUID | None) -> bool:
        if self.role != "staff" or not self.department_ids:
            return True
        return department_id is not None and str(department_id) in self.department_ids


def city_access(user: User, tenant: Tenant) -> CityAccess | None:
    """The user's access to a city, or None. Must run with that tenant current."""
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.revoked_at.is_(None))
    )
    if membership is not None:
        return CityAccess(tenant, membership.role, tuple(membership.department_ids), "membership")
    if user.operator_org_id is not None:
        contract = db.session.scalar(
            select(OperatorContract).where(
                OperatorContract.operator_org_id == user.operator_org_id, OperatorContract.revoked_at.is_(None)
            )
        )
        if contract is not None:
            return CityAccess(tenant, "agent", (), "operator")
    if user.is_platform_admin and tenant.support_access_until and tenant.support_access_until > utcnow():
        return CityAccess(tenant, "admin", (), "support")
    return None


def cities_for(user: User) -> list[tuple[Tenant, str]]:
    """Every city a user can work in, with the role, for the city chooser and the operators' workspace."""
    with all_tenants(reason=f"list the cities of {user.email}"):
        tenant_ids = set(
            db.session.scalars(
                select(Membership.tenant_id).where(Membership.user_id == user.id, Membership.revoked_at.is_(None))
            )
        )
        if user.operator_org_id is not None:
            tenant_ids |= set(
                db.session.scalars(
                    select(OperatorContract.tenant_id).where(
                        OperatorContract.operator_org_id == user.operator_org_id, OperatorContract.revoked_at.is_(None)
                    )
                )
            )
    result = []
    for tenant in db.session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids)).order_by(Tenant.name)):
        with tenant_context(tenant.id):
            access = city_access(user, tenant)
        if access:
            result.append((tenant, access.role))
    return result
