"""The workforce query (用工查询, R21): every worker on a project the caller may see, with whom they came through.

Each row: the worker, their employer, the contract they came through (its name, or the project's with a marker,
R22), their team and trade, entry time and status. Filters and a fuzzy name search as in the registry; cursor
pages in assignment order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from realname_assignment.assignment_rules import LIVE
from realname_assignment.contract_rules import display_name
from realname_assignment.models import Assignment, Contract, KnownWorker, Party, Project
from realname_assignment.visibility import project_chain, sees_project, workforce_filter
from realname_kit.auth import Caller
from realname_kit.pagination import encode_cursor, seq_after
from realname_kit.problems import Problem


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


_COLUMNS = (Assignment.seq, Assignment.id, Assignment.worker_id, Assignment.team_id, Assignment.employer_id,
            Assignment.contract_id, Assignment.status, Assignment.requested_at, Assignment.entry_at,
            Assignment.exited_at, Assignment.exit_cause, KnownWorker.name, KnownWorker.trade_code,
            KnownWorker.identity_status)


def workforce(session: Session, caller: Caller, project_id: str, query: WorkforceQuery) -> dict[str, Any]:
    project = session.scalars(select(Project).where(Project.id == project_id)).first()
    chain = project_chain(session, project) if project is not None else []
    if project is None or not sees_project(caller, project, chain):
        raise Problem(404, "project_not_found", "No project with this id is visible to you", project_id=project_id,
                      message_zh="找不到该项目，或您无权查看：请核对项目编号。")
    # Plain columns, not entities: a page of 500 rows is read without building 1,500 objects. The contract chain
    # and the employers are few: they are read once per page, not joined onto every row.
    statement = _filtered(select(*_COLUMNS)
                          .join(KnownWorker, KnownWorker.worker_id == Assignment.worker_id)
                          .where(Assignment.project_id == project.id,
                                 workforce_filter(caller, project, chain)), query)
    after = seq_after(query.cursor)
    if after is not None:
        statement = statement.where(Assignment.seq > after)
    if session.get_bind().dialect.name == "postgresql":
        # A plan for these values: a prepared statement's generic plan walks every assignment for a rare name.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    rows = session.execute(statement.order_by(Assignment.seq).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    contracts = {c.id: c for c in chain}
    employers = dict(session.execute(select(Party.enterprise_id, Party.name).where(
        Party.enterprise_id.in_({r.employer_id for r in rows}))).all())
    return {"items": [_row(project, r, contracts[r.contract_id], employers.get(r.employer_id)) for r in rows],
            "next_cursor": encode_cursor({"after": rows[-1].seq}) if more else None}


Row = Select[*tuple[Any, ...]]


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


def _row(project: Project, r: Any, c: Contract, employer_name: str | None) -> dict[str, Any]:
    display, missing = display_name(c.name, project.name, c.tier)
    return {"assignment_id": r.id, "worker_id": r.worker_id, "name": r.name, "trade_code": r.trade_code,
            "identity_status": r.identity_status, "team_id": r.team_id,
            "employer": {"enterprise_id": r.employer_id, "name": employer_name},
            "contract": {"id": c.id, "tier": c.tier, "kind": c.kind, "display_name": display, "name_missing": missing},
            "status": r.status, "requested_at": r.requested_at, "entry_at": r.entry_at, "exited_at": r.exited_at,
            "exit_cause": r.exit_cause}
