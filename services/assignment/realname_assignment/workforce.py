"""The workforce query (用工查询, R21): every worker on a project the caller may see, with whom they came through.

Each row: the worker, their employer, the contract they came through (its name, or the project's with a marker,
R22), their team and trade, entry time and status. Filters and a fuzzy name search as in the registry; cursor
pages in assignment order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from realname_assignment.contract_rules import display_name
from realname_assignment.models import Assignment, Contract, KnownWorker, Party, Project
from realname_assignment.visibility import sees_project, workforce_filter
from realname_kit.auth import Caller
from realname_kit.pagination import encode_cursor, seq_after
from realname_kit.problems import Problem

LIVE = ("requested", "accepted")


@dataclass(frozen=True, slots=True)
class WorkforceQuery:
    name: str | None = None
    trade_code: str | None = None
    team_id: str | None = None
    employer_id: str | None = None
    contract_id: str | None = None
    status: str | None = None  # None: those on the project now (requested or accepted)
    limit: int = 50
    cursor: str | None = None


def workforce(session: Session, caller: Caller, project_id: str, query: WorkforceQuery) -> dict[str, Any]:
    project = session.scalars(select(Project).where(Project.id == project_id)).first()
    if project is None or not sees_project(session, caller, project):
        raise Problem(404, "project_not_found", "No project with this id is visible to you", project_id=project_id)
    employer = aliased(Party)
    statement = _filtered(select(Assignment, KnownWorker, Contract, employer.name)
                          .join(KnownWorker, KnownWorker.worker_id == Assignment.worker_id)
                          .join(Contract, Contract.id == Assignment.contract_id)
                          .outerjoin(employer, employer.enterprise_id == Assignment.employer_id)
                          .where(Assignment.project_id == project.id,
                                 workforce_filter(session, caller, project)), query)
    after = seq_after(query.cursor)
    if after is not None:
        statement = statement.where(Assignment.seq > after)
    rows = session.execute(statement.order_by(Assignment.seq).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    return {"items": [_row(project, a, w, c, name) for a, w, c, name in rows],
            "next_cursor": encode_cursor({"after": rows[-1][0].seq}) if more else None}


Row = Select[Assignment, KnownWorker, Contract, str]


def _filtered(statement: Row, query: WorkforceQuery) -> Row:
    if query.status is None:
        statement = statement.where(Assignment.status.in_(LIVE))
    else:
        statement = statement.where(Assignment.status == query.status)
    if query.name:
        statement = statement.where(KnownWorker.name.contains(query.name.strip(), autoescape=True))
    for column, value in ((KnownWorker.trade_code, query.trade_code), (Assignment.team_id, query.team_id),
                          (Assignment.employer_id, query.employer_id), (Assignment.contract_id, query.contract_id)):
        if value:
            statement = statement.where(column == value)
    return statement


def _row(project: Project, a: Assignment, w: KnownWorker, c: Contract, employer_name: str | None) -> dict[str, Any]:
    display, missing = display_name(c.name, project.name, c.tier)
    return {"assignment_id": a.id, "worker_id": w.worker_id, "name": w.name, "trade_code": w.trade_code,
            "identity_status": w.identity_status, "team_id": a.team_id,
            "employer": {"enterprise_id": a.employer_id, "name": employer_name},
            "contract": {"id": c.id, "tier": c.tier, "kind": c.kind, "display_name": display, "name_missing": missing},
            "status": a.status, "requested_at": a.requested_at, "entry_at": a.entry_at, "exited_at": a.exited_at,
            "exit_cause": a.exit_cause}
