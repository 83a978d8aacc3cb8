"""Every write about people: users, memberships, operator organizations and contracts."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from civic311 import audit
from civic311.accounts.models import CITY_ROLES, Membership, OperatorContract, OperatorOrg, User
from civic311.accounts.passwords import hash_password, new_totp_secret, verify_password
from civic311.db import db, utcnow


class AccountError(ValueError):
    pass


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    email: str, name: str, password: str, *, platform_admin: bool = False, operator_org: OperatorOrg | None = None,
    operator_role: str | None = None, locale: str = "en", verified: bool = False,
) -> User:
    email = email.strip().lower()
    if find_user(email):
        raise AccountError(f"a user with e-mail {email} already exists")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        is_platform_admin=platform_admin,
        operator_org_id=operator_org.id if operator_org else None,
        operator_role=operator_role,
        locale=locale,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        return None
    return user


def start_totp_enrolment(user: User) -> str:
    user.totp_secret = new_totp_secret()
    user.totp_enabled_at = None
    return user.totp_secret


def grant_membership(user: User, role: str, department_ids: list[uuid.UUID] | None = None) -> Membership:
    """Give a user a role in the current tenant (re-granting updates the role)."""
    if role not in CITY_ROLES:
        raise AccountError(f"unknown role {role}")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    if membership is None:
        membership = Membership(user_id=user.id, role=role)
        db.session.add(membership)
    membership.role = role
    membership.revoked_at = None
    membership.department_ids = [str(d) for d in (department_ids or [])]
    db.session.flush()
    audit.record("membership.granted", target=membership, details={"user": user.email, "role": role})
    return membership


def revoke_membership(membership: Membership) -> None:
    membership.revoked_at = utcnow()
    audit.record("membership.revoked", target=membership, details={"user_id": str(membership.user_id)})


def create_operator_org(name: str, slug: str) -> OperatorOrg:
    org = OperatorOrg(name=name, slug=slug)
    db.session.add(org)
    db.session.flush()
    audit.record("operator_org.created", target=org, details={"name": name})
    return org


def grant_contract(org: OperatorOrg, *, phone_line: str | None = None, script: str | None = None) -> OperatorContract:
    """The current city lets an operator organization's agents work it."""
    contract = db.session.scalar(select(OperatorContract).where(OperatorContract.operator_org_id == org.id))
    if contract is None:
        contract = OperatorContract(operator_org_id=org.id)
        db.session.add(contract)
    contract.revoked_at = None
    contract.phone_line = phone_line
    contract.script = script
    db.session.flush()
    audit.record("operator_contract.granted", target=contract, details={"operator": org.name})
    return contract


def revoke_contract(contract: OperatorContract) -> None:
    contract.revoked_at = utcnow()
    audit.record("operator_contract.revoked", target=contract,
                 details={"operator_org_id": str(contract.operator_org_id)})
