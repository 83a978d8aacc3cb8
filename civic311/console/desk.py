"""The agent desk: contacts, filing on a caller's behalf, and the caller's history.

Filing goes only through `intake.file_request`, with the agent's channel; the Actor (set by the city
blueprint) carries the agent and, for an outsourced contact center, its operator organization.
"""

from __future__ import annotations

import re
import uuid

from flask_babel import gettext as _
from sqlalchemy import or_, select

from civic311 import audit
from civic311.actor import current_actor
from civic311.console.models import AGENT_CHANNELS, Contact
from civic311.db import db
from civic311.kb.models import KbArticle
from civic311.platform import intake, lifecycle
from civic311.platform.models import ServiceRequest
from civic311.tenants.catalog import Category, Department
from civic311.tenants.models import Tenant


class DeskError(ValueError):
    pass


def phone_variants(phone: str) -> list[str]:
    """The ways one number may have been typed: as given, digits only, and with +1 (North America)."""
    raw = (phone or "").strip()
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return []
    variants = {raw, digits, "+" + digits}
    if len(digits) == 10:
        variants |= {"+1" + digits, "1" + digits, f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
                     f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"}
    if len(digits) == 11 and digits.startswith("1"):
        variants |= set(phone_variants(digits[1:]))
    return sorted(variants)


def caller_history(phone: str = "", email: str = "", limit: int = 20) -> list[ServiceRequest]:
    """The caller's earlier requests in this city, newest first (anonymous ones never match)."""
    conditions = []
    if phone_variants(phone):
        conditions.append(ServiceRequest.reporter_phone.in_(phone_variants(phone)))
    if email.strip():
        conditions.append(ServiceRequest.reporter_email == email.strip().lower())
    if not conditions:
        return []
    return list(db.session.scalars(
        select(ServiceRequest).where(or_(*conditions)).order_by(ServiceRequest.requested_at.desc()).limit(limit)
    ))


def _check_channel(channel: str) -> str:
    if channel not in AGENT_CHANNELS:
        raise DeskError(_("Choose how the caller reached you."))
    return channel


def record_contact(channel: str, *, note: str = "", kb_article_id: str | None = None, caller_phone: str = "",
                   caller_email: str = "", request: ServiceRequest | None = None,
                   outcome: str | None = None) -> Contact:
    """An information-only contact (or, with `request`, the contact that filed or joined it)."""
    _check_channel(channel)
    article = None
    if kb_article_id:
        try:
            article = db.session.scalar(select(KbArticle).where(KbArticle.id == uuid.UUID(str(kb_article_id))))
        except ValueError:
            article = None
    if request is None and not (note.strip() or article):
        raise DeskError(_("Say what the caller asked, or pick the answer you gave."))
    actor = current_actor()
    contact = Contact(
        channel=channel, outcome=outcome or ("request_filed" if request else "information"),
        agent_user_id=actor.user_id, operator_org_id=actor.operator_org_id,
        kb_article_id=article.id if article else None, request_id=request.id if request else None,
        caller_phone=caller_phone.strip() or None, caller_email=caller_email.strip().lower() or None,
        note=note.strip(),
    )
    db.session.add(contact)
    if article is not None:
        article.used_by_agents_count += 1
    db.session.flush()
    audit.record("contact.recorded", target=contact,
                 details={"channel": channel, "outcome": contact.outcome,
                          **({"request": request.number} if request else {})})
    return contact


def file_for_caller(sub: intake.IntakeSubmission, *, note: str = "") -> intake.IntakeResult:
    """File through intake with the agent's channel, and count the contact that filed it."""
    _check_channel(sub.channel)
    result = intake.file_request(sub)
    record_contact(sub.channel, note=note, caller_phone=sub.contact.phone or "", caller_email=sub.contact.email or "",
                   request=result.request)
    return result


def add_caller_to_existing(req: ServiceRequest, channel: str, *, email: str = "", phone: str = "",
                           locale: str = "en") -> Contact:
    """The caller reports something already reported: they follow the open request instead."""
    _check_channel(channel)
    if email.strip():
        lifecycle.follow(req, email, locale)
    lifecycle.internal_note(req, _("Reported again by a caller (%(channel)s).", channel=channel))
    return record_contact(channel, note=_("Same problem as %(n)s: caller added to it.", n=req.number),
                          caller_phone=phone, caller_email=email, request=req, outcome="added_to_existing")


def desk_is_open(tenant: Tenant) -> bool:
    """Whether the city takes requests through agents (its "agent desk" channel switch; intake refuses
    phone, walk-in and e-mail filings when it is off)."""
    return bool((tenant.channels or {}).get("agent", True))


def desk_categories(channel: str | None) -> list[Category]:
    """Categories an agent may file on this channel (None: on any agent channel): active, offered on it,
    in a department that is live (exactly those intake accepts, so the desk never offers a form it
    would refuse)."""
    rows = db.session.scalars(
        select(Category).outerjoin(Department, (Department.tenant_id == Category.tenant_id)
                                    & (Department.id == Category.department_id))
        .where(Category.active.is_(True), or_(Category.department_id.is_(None), Department.enabled.is_(True)))
        .order_by(Category.position, Category.name))
    return [c for c in rows if (any(offered_on(c, ch) for ch in AGENT_CHANNELS) if channel is None
                                else offered_on(c, channel))]


def offered_on(category: Category, channel: str) -> bool:
    return not category.channels or channel in category.channels


def channels_of(category: Category) -> list[str]:
    """The agent channels a category is offered on."""
    return [ch for ch in AGENT_CHANNELS if offered_on(category, ch)]
