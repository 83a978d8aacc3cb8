"""The supervisor dashboard: how each department is doing, and who handled which contacts."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from civic311.accounts.models import OperatorOrg, User
from civic311.console.models import AGENT_CHANNELS, Contact
from civic311.db import db, utcnow
from civic311.platform.models import OPEN_STATUSES, ServiceRequest, SurveyResponse
from civic311.tenants.catalog import Department
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
