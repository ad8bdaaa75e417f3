"""Reading assignments: the employer's side (those it made) and the using enterprise's (those it decides).

Regulators read all. An enterprise reads the assignments of its workers and those on contracts it awarded; its
staff only on the projects where they hold ``assign_workers`` or ``confirm_entry`` (R32). Anyone else: 404.

Each assignment is answered with what an entry decision needs (R19): the worker's masked ID number and phone
(R4, as the registry announced them), identity status and trade, the team's name, the employer's name and credit
code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from realname_assignment.models import Assignment, Contract, KnownTeam, KnownWorker, Party
from realname_assignment.project_rules import READERS
from realname_codes.roles import ASSIGN_WORKERS, CONFIRM_ENTRY
from realname_kit.auth import Caller
from realname_kit.pagination import encode_cursor, seq_after
from realname_kit.problems import Problem


@dataclass(frozen=True, slots=True)
class AssignmentFilter:
    project_id: str | None = None
    contract_id: str | None = None
    worker_id: str | None = None
    employer_id: str | None = None
    status: str | None = None
    side: str | None = None  # employer | using: only those the caller made, or only those it decides


def scope(caller: Caller, side: str | None = None) -> ColumnElement[bool]:
    """The assignments (joined with their contract) the caller may read."""
    if caller.roles & READERS:
        return true()
    own = caller.enterprise_id
    if own is None:
        return false()
    made = Assignment.employer_id == own
    decides = Contract.awarded_by == own
    if caller.kind != "enterprise":  # staff and project managers: per project, as delegated (R32)
        made = and_(made, Assignment.project_id.in_(_projects(caller, ASSIGN_WORKERS)))
        decides = and_(decides, Assignment.project_id.in_(_projects(caller, CONFIRM_ENTRY)))
    if side == "employer":
        return made
    if side == "using":
        return decides
    return or_(made, decides)


def _projects(caller: Caller, function: str) -> list[str]:
    return [project for project, functions in caller.projects.items() if function in functions]


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """An assignment with whom it admits: the worker, their team and employer as this service knows them."""

    assignment: Assignment
    worker: KnownWorker | None
    team_name: str | None
    employer_name: str | None
    employer_uscc: str | None


def _viewed() -> Select[Assignment, KnownWorker, str, str, str]:  # team and employer: None when unknown
    return (select(Assignment, KnownWorker, KnownTeam.name, Party.name, Party.uscc)
            .join(Contract, Contract.id == Assignment.contract_id)
            .join(KnownWorker, KnownWorker.worker_id == Assignment.worker_id)
            .outerjoin(KnownTeam, KnownTeam.team_id == Assignment.team_id)
            .outerjoin(Party, Party.enterprise_id == Assignment.employer_id))


def view_of(session: Session, a: Assignment) -> AssignmentView:
    row = session.execute(_viewed().where(Assignment.id == a.id)).first()
    return _view(row) if row else AssignmentView(a, session.get(KnownWorker, a.worker_id), None, None, None)


def _view(row: Any) -> AssignmentView:
    a, worker, team_name, employer_name, employer_uscc = row
    return AssignmentView(a, worker, team_name, employer_name, employer_uscc)


def list_assignments(session: Session, caller: Caller, f: AssignmentFilter, limit: int,
                     cursor: str | None) -> tuple[list[AssignmentView], str | None]:
    """A page of the assignments the caller may read, oldest first, each with whom it admits."""
    statement = _viewed().where(scope(caller, f.side))
    for column, value in ((Assignment.project_id, f.project_id), (Assignment.contract_id, f.contract_id),
                          (Assignment.worker_id, f.worker_id), (Assignment.employer_id, f.employer_id),
                          (Assignment.status, f.status)):
        if value:
            statement = statement.where(column == value)
    after = seq_after(cursor)
    if after is not None:
        statement = statement.where(Assignment.seq > after)
    rows = [_view(row) for row in session.execute(statement.order_by(Assignment.seq).limit(limit + 1))]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor({"after": rows[-1].assignment.seq})


def get_assignment(session: Session, caller: Caller, assignment_id: str) -> AssignmentView:
    row = session.execute(_viewed().where(Assignment.id == assignment_id, scope(caller))).first()
    if row is None:
        raise Problem(404, "assignment_not_found", "No assignment with this id is visible to you",
                      assignment_id=assignment_id,
                      message_zh="找不到该派遣记录，或您无权查看：请核对编号。")
    return _view(row)


def assignment_out(view: AssignmentView) -> dict[str, Any]:
    a, w = view.assignment, view.worker
    return {"id": a.id, "project_id": a.project_id, "contract_id": a.contract_id, "worker_id": a.worker_id,
            "worker_name": w.name if w else "", "id_number": w.id_number_masked if w else None,
            "phone": w.phone_masked if w else None, "identity_status": w.identity_status if w else None,
            "trade_code": w.trade_code if w else None, "employer_id": a.employer_id,
            "employer_name": view.employer_name, "employer_uscc": view.employer_uscc, "team_id": a.team_id,
            "team_name": view.team_name, "status": a.status,
            "requested_at": a.requested_at, "requested_by": a.requested_by, "decided_at": a.decided_at,
            "decided_by": a.decided_by, "entry_at": a.entry_at, "rejection_reason": a.rejection_reason,
            "exited_at": a.exited_at, "exit_cause": a.exit_cause, "version": a.version}
