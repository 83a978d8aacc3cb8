"""The supervisor dashboard: how each department is doing, and who handled which contacts."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from civic311.accounts.models import OperatorOrg, User
from civic311.console.layout import optional_module
from civic311.console.models import AGENT_CHANNELS, Contact
from civic311.db import db, utcnow
from civic311.kb.models import KbArticle
from civic311.platform.models import OPEN_STATUSES, ServiceRequest, SurveyResponse
from civic311.tenants.catalog import Category, Department
from civic311.tenants.models import Tenant

PERIOD_DAYS = 30  # median time to close, survey scores and agent figures look back this far


@dataclass
class DepartmentFigures:
    department_id: uuid.UUID | None
    name: str
    open: int = 0
    at_risk: int = 0
    breached: int = 0
    closed_this_week: int = 0
    median_hours_to_close: float | None = None
    survey_score: float | None = None
    survey_count: int = 0


@dataclass
class PeopleFigures:
    key: uuid.UUID | None
    name: str
    contacts: int = 0
    information_only: int = 0
    requests_filed: int = 0


@dataclass
class CategoryFigures:
    """For one category over the period: residents who found the answer themselves, and the contacts
    and requests that still reached the city."""

    category_id: uuid.UUID | None
    name: str
    deflections: int = 0  # a resident read a knowledge-base answer on the portal and stopped without filing
    agent_contacts: int = 0  # calls, visits and e-mails agents handled about it
    information_only: int = 0  # of those, answered without a request
    requests_filed: int = 0  # on every channel

    @property
    def self_service_share(self) -> float | None:
        """Of the residents who came with this problem, the share the knowledge base answered."""
        total = self.deflections + self.requests_filed
        return round(100 * self.deflections / total) if total else None


def start_of_week(tenant: Tenant, now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(tenant.timezone))
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday


def _counts(stmt) -> dict:
    return dict(db.session.execute(stmt).all())


def department_figures(tenant: Tenant, now: datetime | None = None) -> list[DepartmentFigures]:
    now = now or utcnow()
    since = now - timedelta(days=PERIOD_DAYS)
    dept = ServiceRequest.department_id
    is_open = ServiceRequest.status.in_(OPEN_STATUSES)
    by_dept = select(dept, func.count()).group_by(dept)
    open_n = _counts(by_dept.where(is_open))
    at_risk = _counts(by_dept.where(is_open, ServiceRequest.at_risk_at <= now, ServiceRequest.due_at > now))
    breached = _counts(by_dept.where(is_open, ServiceRequest.due_at <= now))
    closed_week = _counts(by_dept.where(ServiceRequest.closed_at >= start_of_week(tenant, now)))
    durations: dict = {}
    for department_id, requested_at, closed_at in db.session.execute(
        select(dept, ServiceRequest.requested_at, ServiceRequest.closed_at).where(ServiceRequest.closed_at >= since)
    ):
        durations.setdefault(department_id, []).append((closed_at - requested_at).total_seconds() / 3600)
    surveys = {d: (avg, n) for d, avg, n in db.session.execute(
        select(dept, func.avg(SurveyResponse.score), func.count(SurveyResponse.score))
        .join(ServiceRequest, (ServiceRequest.id == SurveyResponse.request_id)
              & (ServiceRequest.tenant_id == SurveyResponse.tenant_id))
        .where(SurveyResponse.score.is_not(None), SurveyResponse.answered_at >= since)
        .group_by(dept)
    )}
    names = {d.id: d.name for d in db.session.scalars(select(Department).order_by(Department.name))}
    keys = list(names) + [None]
    figures = []
    for key in keys:
        row = DepartmentFigures(key, names.get(key, ""), open_n.get(key, 0), at_risk.get(key, 0),
                                breached.get(key, 0), closed_week.get(key, 0))
        if key in durations:
            row.median_hours_to_close = round(statistics.median(durations[key]), 1)
        if key in surveys:
            avg, n = surveys[key]
            row.survey_score, row.survey_count = round(float(avg), 2), n
        if key is not None or row.open or row.closed_this_week or row.median_hours_to_close is not None:
            figures.append(row)
    return figures


def people_figures(now: datetime | None = None) -> tuple[list[PeopleFigures], list[PeopleFigures], dict[str, int]]:
    """Per agent, per operator organization, and contacts per channel, over the last PERIOD_DAYS."""
    since = (now or utcnow()) - timedelta(days=PERIOD_DAYS)
    agents: dict = {}
    orgs: dict = {}
    channels: dict[str, int] = dict.fromkeys(AGENT_CHANNELS, 0)
    for agent_id, org_id, channel, outcome, n in db.session.execute(
        select(Contact.agent_user_id, Contact.operator_org_id, Contact.channel, Contact.outcome, func.count())
        .where(Contact.created_at >= since)
        .group_by(Contact.agent_user_id, Contact.operator_org_id, Contact.channel, Contact.outcome)
    ):
        channels[channel] = channels.get(channel, 0) + n
        for table, key in ((agents, agent_id), (orgs, org_id)):
            if key is None:
                continue
            row = table.setdefault(key, PeopleFigures(key, ""))
            row.contacts += n
            if outcome == "information":
                row.information_only += n
    for agent_id, org_id, n in db.session.execute(
        select(ServiceRequest.created_by_user_id, ServiceRequest.operator_org_id, func.count())
        .where(ServiceRequest.requested_at >= since, ServiceRequest.created_by_user_id.is_not(None),
               ServiceRequest.channel.in_(AGENT_CHANNELS))
        .group_by(ServiceRequest.created_by_user_id, ServiceRequest.operator_org_id)
    ):
        agents.setdefault(agent_id, PeopleFigures(agent_id, "")).requests_filed += n
        if org_id is not None:
            orgs.setdefault(org_id, PeopleFigures(org_id, "")).requests_filed += n
    if agents:
        for user in db.session.scalars(select(User).where(User.id.in_(list(agents)))):
            agents[user.id].name = user.name
    if orgs:
        for org in db.session.scalars(select(OperatorOrg).where(OperatorOrg.id.in_(list(orgs)))):
            orgs[org.id].name = org.name
    by_name = lambda rows: sorted(rows, key=lambda r: (-r.contacts - r.requests_filed, r.name))  # noqa: E731
    return by_name(agents.values()), by_name(orgs.values()), channels


def _deflections_by_category(since: datetime) -> dict[uuid.UUID | None, int]:
    """Self-service deflections the portal recorded (none when the portal is not installed)."""
    portal_models = optional_module("civic311.portal.models")
    deflection = getattr(portal_models, "Deflection", None)
    if deflection is None:
        return {}
    return _counts(select(deflection.category_id, func.count()).where(deflection.created_at >= since)
                   .group_by(deflection.category_id))


def category_figures(now: datetime | None = None) -> list[CategoryFigures]:
    """Per category over the last PERIOD_DAYS: self-service deflections beside agent contacts and
    requests filed. An information-only contact counts under the categories its answer is linked to
    (under "general questions" when it has none), so one answer linked to two categories counts twice."""
    since = (now or utcnow()) - timedelta(days=PERIOD_DAYS)
    rows: dict[uuid.UUID | None, CategoryFigures] = {}

    def row(key: uuid.UUID | None) -> CategoryFigures:
        return rows.setdefault(key, CategoryFigures(key, ""))

    for key, n in _deflections_by_category(since).items():
        row(key).deflections += n
    for key, n in _counts(select(ServiceRequest.category_id, func.count())
                          .where(ServiceRequest.requested_at >= since, ServiceRequest.channel != "import")
                          .group_by(ServiceRequest.category_id)).items():
        row(key).requests_filed += n
    # Contacts that filed a request or joined one: the request's category.
    for key, n in _counts(
        select(ServiceRequest.category_id, func.count()).select_from(Contact)
        .join(ServiceRequest, (ServiceRequest.tenant_id == Contact.tenant_id)
              & (ServiceRequest.id == Contact.request_id))
        .where(Contact.created_at >= since).group_by(ServiceRequest.category_id)
    ).items():
        row(key).agent_contacts += n
    # Information-only contacts: the categories of the answer given.
    by_article = _counts(select(Contact.kb_article_id, func.count())
                         .where(Contact.created_at >= since, Contact.request_id.is_(None))
                         .group_by(Contact.kb_article_id))
    linked = {a.id: a.category_ids or [] for a in db.session.scalars(
        select(KbArticle).where(KbArticle.id.in_([k for k in by_article if k is not None])))} if by_article else {}
    known = {c.id: c.name for c in db.session.scalars(select(Category))}
    for article_id, n in by_article.items():
        keys = [uuid.UUID(c) for c in linked.get(article_id, []) if uuid.UUID(c) in known] or [None]
        for key in keys:
            row(key).agent_contacts += n
            row(key).information_only += n
    for key, figures in rows.items():
        figures.name = known.get(key, "") if key is not None else ""
    named = sorted((r for k, r in rows.items() if k is not None), key=lambda r: (-r.deflections - r.agent_contacts
                                                                                  - r.requests_filed, r.name))
    return named + ([rows[None]] if None in rows else [])
