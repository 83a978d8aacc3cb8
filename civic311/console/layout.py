"""What every console page shows around its content: the city (name, logo) and who is working."""

from __future__ import annotations

import importlib

from flask import g
from sqlalchemy import select

from civic311.accounts.models import OperatorContract
from civic311.db import db
from civic311.tenants.models import Tenant


def optional_module(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if module == exc.name or module.startswith(f"{exc.name}."):
            return None
        raise


def logo_url(tenant: Tenant) -> str | None:
    branding = optional_module("civic311.portal.branding")
    if branding is None or not tenant.logo_key:
        return None
    try:
        return branding.logo_url(tenant)
    except Exception:  # noqa: BLE001 - a missing logo must never break the console
        return None


def attachment_url(attachment, thumb: bool = False) -> str | None:
    attachments = optional_module("civic311.platform.attachments")
    getter = getattr(attachments, "attachment_url", None) if attachments else None
    return getter(attachment, thumb=thumb) if getter else None


def operator_contract(user) -> OperatorContract | None:
    """The current city's contract with the user's operator organization (for its greeting script)."""
    access = g.get("access")
    if access is None or access.via != "operator" or user.operator_org_id is None:
        return None
    return db.session.scalar(select(OperatorContract).where(
        OperatorContract.operator_org_id == user.operator_org_id, OperatorContract.revoked_at.is_(None)))
