"""Assigning workers to projects (R18): one, a list or a whole team through a contract, changed or withdrawn
until the using enterprise decides. Each function runs inside the caller's transaction (``run_once``).

No worker is ever twice on a project (R20): the partial unique index ``uq_assignments_live_worker_project``
refuses a second live assignment, so two requests at the same moment make one; the loser runs again and finds
the winner's row (``already_assigned``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from realname_assignment.assignment_rules import (
    LIVE,
    MAX_BATCH,
    REQUESTED,
    WITHDRAWN,
    assigning_party,
    distinct_workers,
    may_change,
    still_requested,
    worker_refusal,
)
from realname_assignment.contract_rules import COMPLETED
from realname_assignment.models import LIVE_INDEX_WHERE, OUTBOX, Assignment, Contract, KnownTeam, KnownWorker, Project
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow

ASSIGNMENT_REQUESTED, ASSIGNMENT_CHANGED = "assignment.requested", "assignment.changed"
ASSIGNMENT_WITHDRAWN = "assignment.withdrawn"
ASSIGNED, ALREADY_ASSIGNED, REFUSED = "assigned", "already_assigned", "refused"
KEEP = object()  # a change that leaves the team as it is


@dataclass(frozen=True, slots=True)
class AssignRequest:
    contract_id: str
    worker_ids: Sequence[str] | None  # None: the whole team
    team_id: str | None


def assign_workers(session: Session, caller: Caller, request: AssignRequest) -> dict[str, Any]:
    """Assign each worker, or say why not; the answer has one item per distinct worker, in the order given."""
    contract = usable_contract(session, caller, request.contract_id)
    employer = contract.contractor_id
    team = _team(session, request.team_id, employer, contract.project_id) if request.team_id else None
    ids = distinct_workers(request.worker_ids) if request.worker_ids is not None else _members(session, team, employer)
    # FOR SHARE, as a decision reads them: an employment ending meanwhile waits, then withdraws what is made (R24).
    workers = {w.worker_id: w for w in session.scalars(select(KnownWorker).where(KnownWorker.worker_id.in_(ids))
                                                       .order_by(KnownWorker.worker_id).with_for_update(read=True))}
    live = {a.worker_id: a for a in session.scalars(select(Assignment).where(
        Assignment.project_id == contract.project_id, Assignment.worker_id.in_(ids), Assignment.status.in_(LIVE)))}
    teams_here = set(session.scalars(select(KnownTeam.team_id).where(
        KnownTeam.project_id == contract.project_id, KnownTeam.employer_id == employer)))
    items: list[dict[str, Any]] = []
    made: list[Assignment] = []
    for worker_id in ids:
        if worker_id in live:
            items.append(_already(live[worker_id], contract))
            continue
        worker = workers.get(worker_id)
        refusal = worker_refusal(worker, employer)
        if refusal is not None:
            items.append(_refused(worker_id, refusal.reason, refusal.message))
            continue
        assert worker is not None  # worker_refusal refuses an unknown worker
        own_team = worker.team_id if worker.team_id in teams_here else None  # their team, if it is on this project
        made.append(Assignment(id=str(uuid.uuid4()), project_id=contract.project_id, contract_id=contract.id,
                               worker_id=worker_id, employer_id=employer, team_id=team.team_id if team else own_team,
                               status=REQUESTED, requested_by=caller.subject or "", version=1))
        items.append({"worker_id": worker_id, "outcome": ASSIGNED, "assignment_id": made[-1].id,
                      "status": REQUESTED, "team_id": made[-1].team_id})
    lost = _insert_new(session, made)
    if lost:  # another request put these workers on the project meanwhile: answer from what it made (R20)
        winners = {a.worker_id: a for a in session.scalars(select(Assignment).where(
            Assignment.project_id == contract.project_id, Assignment.worker_id.in_(lost),
            Assignment.status.in_(LIVE)))}
        items = [_lost(item, winners, contract) if item["worker_id"] in lost else item for item in items]
        made = [a for a in made if a.worker_id not in lost]
    OUTBOX.record_many(session, ASSIGNMENT_REQUESTED, [assignment_event(a) for a in made])
    return {"project_id": contract.project_id, "contract_id": contract.id, "items": items,
            "counts": dict(Counter(item["outcome"] for item in items))}


def _lost(item: dict[str, Any], winners: dict[str, Assignment], contract: Contract) -> dict[str, Any]:
    winner = winners.get(item["worker_id"])
    if winner is not None:
        return _already(winner, contract)
    return _refused(item["worker_id"], "changed_meanwhile", "Another request assigned this worker at the same "
                                                            "moment and it was decided since: send the list again.")


def _insert_new(session: Session, made: list[Assignment]) -> set[str]:
    """Insert the new assignments, skipping workers another request has just put on the project; those ids.

    ``ON CONFLICT DO NOTHING`` on the partial unique index: concurrent overlapping lists never fail (R20, R33), and
    rows go in worker order, so two overlapping lists wait for each other instead of deadlocking.
    """
    if not made:
        return set()
    dialect = session.get_bind().dialect.name
    build = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [{"id": a.id, "project_id": a.project_id, "contract_id": a.contract_id, "worker_id": a.worker_id,
             "employer_id": a.employer_id, "team_id": a.team_id, "status": a.status, "requested_by": a.requested_by,
             "requested_at": utcnow(), "version": a.version} for a in sorted(made, key=lambda a: a.worker_id)]
    statement = build(Assignment).on_conflict_do_nothing(
        index_elements=[Assignment.project_id, Assignment.worker_id],
        index_where=text(LIVE_INDEX_WHERE)).returning(Assignment.worker_id)
    inserted = set(session.scalars(statement, rows))
    return {a.worker_id for a in made} - inserted


def usable_contract(session: Session, caller: Caller, contract_id: str) -> Contract:
    """The contract the caller's enterprise assigns through (R18), held FOR SHARE so a completion waits."""
    contract = session.scalars(select(Contract).where(Contract.id == contract_id).with_for_update(read=True)).first()
    if contract is None:
        raise Problem(422, "contract_not_found", "No contract with this id is known",
                      "Assign through one of your contracts: GET /api/v1/assignment/contracts?mine=held.",
                      field="contract_id",
                      message_zh="找不到该合同：请从贵单位的合同中选择（合同列表 mine=held）。")
    assigning_party(caller, contract)
    project = session.scalars(select(Project).where(Project.id == contract.project_id)).one()
    if project.status == COMPLETED:
        raise Problem(409, "project_completed", "The project is completed: nobody is assigned to it any more",
                      project_id=project.id,
                      message_zh="该项目已竣工，不能再派遣工人。")
    return contract


def _team(session: Session, team_id: str, employer_id: str, project_id: str) -> KnownTeam:
    team = session.get(KnownTeam, team_id)
    if team is None or team.employer_id != employer_id:
        raise Problem(422, "team_unknown", "No team of yours has this id",
                      "A team made a moment ago in the registry is known here within seconds.", field="team_id",
                      message_zh="找不到贵单位的这个班组：刚在登记系统中建立的班组需几秒后才能在此使用，请稍后重试。")
    if team.project_id != project_id:
        raise Problem(422, "team_not_on_project", "This team is on another project",
                      "A team belongs to one project (R16): name one of your teams on this contract's project.",
                      field="team_id",
                      message_zh="该班组属于另一个项目（一个班组只属于一个项目，R16）：请选择本合同所在项目上的班组。")
    return team


def _members(session: Session, team: KnownTeam | None, employer_id: str) -> list[str]:
    if team is None:
        raise Problem(422, "workers_or_team_required", "Name the workers, or a team to assign whole",
                      field="worker_ids",
                      message_zh="请选择要派遣的工人，或选择整个班组派遣。")
    members = list(session.scalars(select(KnownWorker.worker_id).where(
        KnownWorker.team_id == team.team_id, KnownWorker.employer_id == employer_id,
        KnownWorker.employment_status == "active").order_by(KnownWorker.worker_id).limit(MAX_BATCH + 1)))
    if len(members) > MAX_BATCH:
        raise Problem(422, "team_too_large", f"A team of more than {MAX_BATCH} workers is assigned in lists",
                      f"Send worker_ids in lists of up to {MAX_BATCH}.", field="team_id",
                      message_zh=f"班组超过 {MAX_BATCH} 人，不能整组派遣：请按工人名单分批派遣，每批最多 {MAX_BATCH} "
                                 "人。")
    return members


def _already(existing: Assignment, contract: Contract) -> dict[str, Any]:
    if existing.contract_id == contract.id:  # the same assignment again (a retry): answered, not repeated (R20)
        return {"worker_id": existing.worker_id, "outcome": ALREADY_ASSIGNED, "assignment_id": existing.id,
                "status": existing.status, "team_id": existing.team_id}
    return _refused(existing.worker_id, "already_on_project",
                    "This worker is already on this project through another contract: change that assignment "
                    "instead, or withdraw it first.", assignment_id=existing.id)


def _refused(worker_id: str, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"worker_id": worker_id, "outcome": REFUSED, "reason": reason, "message": message, **extra}


def assignment_event(a: Assignment) -> dict[str, Any]:
    """The ``data`` of the assignment events: ids and status, no personal data."""
    return {"assignment_id": a.id, "project_id": a.project_id, "contract_id": a.contract_id,
            "worker_id": a.worker_id, "employer_id": a.employer_id, "team_id": a.team_id, "status": a.status,
            "version": a.version}


# --- changing and withdrawing (R18) ----------------------------------------------------------------------------

def locked_assignment(session: Session, caller: Caller, assignment_id: str) -> Assignment:
    """The assignment, locked, when the caller is on the employer's side of it; else 404 or 403."""
    a = session.scalars(select(Assignment).where(Assignment.id == assignment_id).with_for_update()).first()
    if a is None or not caller.acts_for(a.employer_id):
        raise Problem(404, "assignment_not_found", "No assignment of yours has this id", assignment_id=assignment_id,
                      message_zh="找不到贵单位的这条派遣记录：请核对编号。")
    if not may_change(caller, a.employer_id, a.project_id):
        raise Problem(403, "function_not_delegated", "You do not hold assign_workers on this project",
                      "Your project manager can delegate it to you.", project_id=a.project_id,
                      message_zh="您在该项目上没有派遣工人（assign_workers）的职能：请项目经理授权给您。")
    return a


def change_assignment(session: Session, caller: Caller, assignment_id: str, if_match: str | None, *,
                      contract_id: str | None, team_id: object) -> Assignment:
    """Move a requested assignment to another contract (so project) or team; ``If-Match`` its ETag (R18)."""
    a = locked_assignment(session, caller, assignment_id)
    check_etag(a, if_match)
    still_requested(a.status)
    if contract_id is not None and contract_id != a.contract_id:
        _move(session, caller, a, contract_id)
    if team_id is not KEEP:
        a.team_id = _team(session, str(team_id), a.employer_id, a.project_id).team_id if team_id else None
    a.version += 1
    session.flush()
    OUTBOX.record(session, ASSIGNMENT_CHANGED, assignment_event(a))
    return a


def _move(session: Session, caller: Caller, a: Assignment, contract_id: str) -> None:
    target = usable_contract(session, caller, contract_id)
    if target.contractor_id != a.employer_id:
        raise Problem(403, "not_your_contract", "This contract does not name the worker's employer",
                      field="contract_id",
                      message_zh="该合同的承包方不是该工人的用人单位：请通过其用人单位的合同派遣。")
    if target.project_id != a.project_id:
        there = session.scalars(select(Assignment.id).where(Assignment.project_id == target.project_id,
                                                            Assignment.worker_id == a.worker_id,
                                                            Assignment.status.in_(LIVE))).first()
        if there is not None:
            raise Problem(409, "already_on_project", "This worker is already on that project",
                          field="contract_id", assignment_id=there,
                          message_zh="该工人已在这个项目上：无需重复派遣。")
        team = session.get(KnownTeam, a.team_id) if a.team_id else None
        if team is None or team.project_id != target.project_id:
            a.team_id = None  # a team belongs to one project (R16): it does not come along
    a.contract_id, a.project_id = target.id, target.project_id


def withdraw_assignment(session: Session, caller: Caller, assignment_id: str) -> Assignment:
    """Withdraw a requested assignment (R18); withdrawing it again answers as it stands."""
    a = locked_assignment(session, caller, assignment_id)
    if a.status == WITHDRAWN:
        return a
    still_requested(a.status)
    a.status, a.version = WITHDRAWN, a.version + 1
    session.flush()
    OUTBOX.record(session, ASSIGNMENT_WITHDRAWN, {**assignment_event(a), "cause": "employer"})
    return a


def etag(a: Assignment) -> str:
    return etag_for(a.id, a.version)


def etag_for(assignment_id: str, version: int) -> str:
    return f'"{assignment_id}.{version}"'


def check_etag(a: Assignment, if_match: str | None) -> None:
    if if_match is None:
        raise Problem(428, "if_match_required", "Send the ETag you read as If-Match",
                      "GET the assignment, then send its ETag, so that a change made meanwhile is not overwritten.",
                      message_zh="缺少版本信息：请先读取该派遣记录，再带上其 ETag（If-Match）提交修改，以免覆盖他人的"
                                 "修改。")
    if if_match.strip() not in (etag(a), "*"):
        raise Problem(412, "edited_meanwhile", "The assignment changed since you read it",
                      "Read it again and apply your change to what is there now.", etag=etag(a),
                      message_zh="该派遣记录在您读取后已被他人修改：请重新读取，在最新内容上再做修改。")
