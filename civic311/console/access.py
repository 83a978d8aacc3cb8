"""Checked loaders: the row, or a 404 that looks exactly like "does not exist"."""

from __future__ import annotations

import uuid

from flask import abort
from sqlalchemy import select

from civic311.accounts.access import CityAccess
from civic311.accounts.models import Membership, User
from civic311.console.models import SavedView, StandardResponse
from civic311.db import db
from civic311.platform.models import ServiceRequest
from civic311.tenants.catalog import Category


def visible_request(number: str, access: CityAccess) -> ServiceRequest | None:
    """A request of the current city the viewer may see (staff: only their departments)."""
    req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number.strip().upper()))
    if req is None or not access.can_see_department(req.department_id):
        return None
    return req


def request_for_staff(number: str, access: CityAccess) -> ServiceRequest:
    req = visible_request(number, access)
    if req is None:
        abort(404)
    return req


def request_by_id_for_staff(raw_id: str, access: CityAccess) -> ServiceRequest | None:
    try:
        ident = uuid.UUID(str(raw_id))
    except ValueError:
        return None
    req = db.session.scalar(select(ServiceRequest).where(ServiceRequest.id == ident))
    if req is None or not access.can_see_department(req.department_id):
        return None
    return req


def saved_view_for(user_id: uuid.UUID, raw_id: str) -> SavedView:
    try:
        ident = uuid.UUID(raw_id)
    except ValueError:
        abort(404)
    view = db.session.scalar(select(SavedView).where(SavedView.id == ident, SavedView.user_id == user_id))
    if view is None:
        abort(404)
    return view


def standard_response(raw_id: str) -> StandardResponse | None:
    try:
        ident = uuid.UUID(raw_id)
    except ValueError:
        return None
    return db.session.scalar(select(StandardResponse).where(StandardResponse.id == ident))


def category(raw_id: str) -> Category | None:
    try:
        ident = uuid.UUID(raw_id)
    except ValueError:
        return None
    return db.session.scalar(select(Category).where(Category.id == ident))


def assignable_staff(department_id: uuid.UUID | None = None) -> list[User]:
    """People of the current city who can take a request (of that department, when given)."""
    rows = db.session.execute(
        select(User, Membership).join(Membership, Membership.user_id == User.id).where(
            Membership.revoked_at.is_(None), Membership.role.in_(("staff", "supervisor", "admin")),
            User.is_active_flag.is_(True),
        ).order_by(User.name)
    ).all()
    return [user for user, membership in rows
            if department_id is None or not membership.department_ids or str(department_id) in membership.department_ids
            or membership.role != "staff"]
