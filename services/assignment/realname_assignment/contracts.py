"""The contract chain of a project: awarding subcontracts, reading them as R21 allows, completing them (R24).

Locks keep awards and completions apart without serialising awards among themselves: an award holds its
project (and parent contract) FOR SHARE, a completion holds the contract or project FOR UPDATE. So a contract
is never awarded beneath one being completed, and every contract is completed once, with one event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from realname_assignment.contract_rules import COMPLETED as DONE
from realname_assignment.contract_rules import (
    CONTRACT_COMPLETED,
    PROJECT_COMPLETED,
    Award,
    award_tier,
    completable_alone,
    contractor_problem,
    display_name,
    may_complete,
    may_complete_project,
    may_see,
    normalise_contract_name,
    normalise_uscc,
    open_for_awards,
    same_award,
    sees_whole_chain,
)
from realname_assignment.models import OUTBOX, Contract, Party, Project
from realname_assignment.project_rules import ACTIVE
from realname_assignment.projects import takes_part
from realname_assignment.schemas import ContractSchema
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.pagination import keyset_page, seq_after
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow

CONTRACT_AWARDED, CONTRACT_DONE, PROJECT_DONE = "contract.awarded", "contract.completed", "project.completed"
HELD, AWARDED = "held", "awarded"  # GET /contracts?mine=: the contracts the caller holds, or has awarded


# --- awarding ------------------------------------------------------------------------------------------------

def award_contract(session: Session, caller: Caller, project_id: str, *, contractor_uscc: str, kind: str,
                   name: str | None = None, parent_id: str | None = None) -> tuple[dict[str, Any], bool]:
    """Award a subcontract; ``(contract, True)`` when made, ``(contract, False)`` for the same request again.

    The same link (project, awarding party, subcontractor) with other terms is a 409 with the existing one. Two
    requests for one link at the same moment meet at ``uq_contracts_link``: the loser runs again (``run_once``)
    and is answered as a retry.
    """
    return _award(session, caller, project_id, normalise_uscc(contractor_uscc), kind=kind,
                  name=normalise_contract_name(name), parent_id=parent_id)


def _award(session: Session, caller: Caller, project_id: str, uscc: str, *, kind: str, name: str | None,
           parent_id: str | None) -> tuple[dict[str, Any], bool]:
    project = _visible_project(session, caller, project_id, share_lock=True)
    parent = _parent(session, parent_id)
    tier = award_tier(project, Award(caller.enterprise_id, kind, parent))
    party = session.scalars(select(Party).where(Party.uscc == uscc)).first()
    problem = contractor_problem(uscc, party, kind)
    if problem is not None or party is None:
        raise problem or AssertionError("contractor_problem admits no missing party")
    existing = session.scalars(select(Contract).where(
        Contract.project_id == project.id, Contract.awarded_by == caller.enterprise_id,
        Contract.contractor_id == party.enterprise_id)).first()
    if existing is not None:
        if same_award(existing, kind, parent_id, name):
            return contract_out(session, existing), False
        raise Problem(409, "contract_exists", "You already awarded this subcontractor a contract on this project",
                      "One contract per subcontractor and awarding party on a project; `existing` is it.",
                      existing=ContractSchema().dump(contract_out(session, existing)),
                      message_zh="您已在该项目上向这家分包单位发包过合同：一个项目上每个发包方对每家分包单位只有一份合"
                                 "同，请使用已有合同（见 existing）。")
    open_for_awards(project, parent)
    contract = Contract(project_id=project.id, parent_id=parent_id, tier=tier, kind=kind, name=name,
                        awarded_by=caller.enterprise_id, contractor_id=party.enterprise_id, status=ACTIVE)
    session.add(contract)
    session.flush()
    OUTBOX.record(session, CONTRACT_AWARDED, contract_event(contract))
    record_audit(session, OUTBOX, action=CONTRACT_AWARDED, actor=caller, subject=contract.id,
                 details={"project_id": project.id, "tier": tier, "kind": kind, "parent_id": parent_id,
                          "contractor_id": party.enterprise_id})
    return contract_out(session, contract), True


def _parent(session: Session, parent_id: str | None) -> Contract | None:
    if parent_id is None:
        return None
    parent = session.scalars(select(Contract).where(Contract.id == parent_id).with_for_update(read=True)).first()
    if parent is None:
        raise Problem(422, "parent_contract_not_found", "No contract with this id is known",
                      "parent_id names your own first-tier specialty contract on this project.",
                      field="parent_id", parent_id=parent_id,
                      message_zh="找不到该上级合同：请填写贵单位在本项目上的一级专业分包合同。")
    return parent


def contract_event(c: Contract) -> dict[str, Any]:
    """The ``data`` of ``contract.awarded``."""
    return {"contract_id": c.id, "project_id": c.project_id, "tier": c.tier, "kind": c.kind,
            "parent_id": c.parent_id, "awarded_by": c.awarded_by, "contractor_id": c.contractor_id,
            "name": c.name, "status": c.status, "created_at": c.created_at.isoformat()}


# --- reading ------------------------------------------------------------------------------------------------

def list_project_contracts(db: Database, caller: Caller, project_id: str, limit: int,
                           cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The part of a project's chain the caller may see (R21), in the order it was awarded."""
    seq_after(cursor)
    with db.transaction() as session:
        project = _visible_project(session, caller, project_id)
        query = select(Contract).where(Contract.project_id == project.id)
        if not sees_whole_chain(caller, project):
            query = query.where(_involving(caller.enterprise_id or ""))
        rows, next_cursor = keyset_page(session, query, Contract.seq, limit, cursor)
        return contracts_out(session, rows), next_cursor


def get_contract(db: Database, caller: Caller, contract_id: str) -> dict[str, Any]:
    with db.transaction() as session:
        return contract_out(session, _visible_contract(session, caller, contract_id))


def list_my_contracts(db: Database, caller: Caller, mine: str, limit: int, cursor: str | None, *,
                      project_id: str | None = None,
                      status: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The contracts the caller's enterprise holds (what a labour company assigns through) or has awarded."""
    seq_after(cursor)
    if caller.enterprise_id is None:
        return [], None
    column = Contract.contractor_id if mine == HELD else Contract.awarded_by
    query = select(Contract).where(column == caller.enterprise_id)
    if project_id:
        query = query.where(Contract.project_id == project_id)
    if status:
        query = query.where(Contract.status == status)
    with db.transaction() as session:
        rows, next_cursor = keyset_page(session, query, Contract.seq, limit, cursor)
        return contracts_out(session, rows), next_cursor


def _visible_project(session: Session, caller: Caller, project_id: str, *, share_lock: bool = False,
                     lock: bool = False) -> Project:
    """The project, if the caller sees it: its whole chain, or a part of it (R21); else 404, not a hint."""
    query = select(Project).where(Project.id == project_id)
    if share_lock or lock:
        query = query.with_for_update(read=share_lock and not lock)
    project = session.scalars(query).first()
    if project is not None and (sees_whole_chain(caller, project) or takes_part(session, caller, project.id)):
        return project
    raise Problem(404, "project_not_found", "No project with this id is visible to you", project_id=project_id,
                  message_zh="找不到该项目，或您无权查看：请核对项目编号。")


def _involving(enterprise_id: str) -> Any:
    """In SQL what ``may_see`` says of one contract, for a caller who does not see the whole chain."""
    return or_(Contract.contractor_id == enterprise_id, Contract.awarded_by == enterprise_id)


def _visible_contract(session: Session, caller: Caller, contract_id: str, *, lock: bool = False) -> Contract:
    query: Select[Contract] = select(Contract).where(Contract.id == contract_id)
    contract = session.scalars(query.with_for_update() if lock else query).first()
    project = session.scalars(select(Project).where(Project.id == contract.project_id)).one() if contract else None
    if contract is None or project is None or not may_see(caller, project, contract):
        raise Problem(404, "contract_not_found", "No contract with this id is visible to you",
                      contract_id=contract_id,
                      message_zh="找不到该合同，或您无权查看：请核对合同编号。")
    return contract


# --- completing (R24) ------------------------------------------------------------------------------------------

def complete_contract(session: Session, caller: Caller, contract_id: str) -> dict[str, Any]:
    """Complete a subcontract and everything beneath it, once; completing it again changes nothing."""
    contract = _visible_contract(session, caller, contract_id, lock=True)
    project = session.scalars(select(Project).where(Project.id == contract.project_id)).one()
    if not may_complete(caller, project, contract):
        raise Problem(403, "not_the_awarding_party",
                      "Only the party that awarded the contract, or the project's general contractor, completes it",
                      contract_id=contract_id,
                      message_zh="只有发包方或项目总承包单位才能办理合同完结。")
    completable_alone(contract)
    if contract.status != DONE:
        closed = _close(session, project.id, _with_descendants(session, contract.id), CONTRACT_COMPLETED)
        record_audit(session, OUTBOX, action=CONTRACT_DONE, actor=caller, subject=contract.id,
                     details={"project_id": project.id, "completed": closed})
        session.refresh(contract)
    return contract_out(session, contract)


def complete_project(session: Session, caller: Caller, project_id: str) -> Project:
    """Complete a project and every contract of it, once; completing it again changes nothing."""
    project = _visible_project(session, caller, project_id, lock=True)
    if not may_complete_project(caller, project):
        raise Problem(403, "not_the_general_contractor", "Only the project's general contractor completes it",
                      project_id=project_id,
                      message_zh="只有项目的总承包单位才能办理项目竣工。")
    if project.status != DONE:
        open_ids = list(session.scalars(select(Contract.id).where(
            Contract.project_id == project.id, Contract.status == ACTIVE).order_by(Contract.seq)))
        closed = _close(session, project.id, open_ids, PROJECT_COMPLETED)
        project.status = DONE
        OUTBOX.record(session, PROJECT_DONE, {"project_id": project.id})
        record_audit(session, OUTBOX, action=PROJECT_DONE, actor=caller, subject=project.id,
                     details={"completed": closed})
    return project


def _with_descendants(session: Session, contract_id: str) -> list[str]:
    """The contract and every contract beneath it, parents before children."""
    ids, frontier = [contract_id], [contract_id]
    while frontier:
        frontier = list(session.scalars(select(Contract.id).where(Contract.parent_id.in_(frontier))
                                        .order_by(Contract.seq)))
        ids += frontier
    return ids


def _close(session: Session, project_id: str, ids: Sequence[str], cause: str) -> list[str]:
    """Complete the still active ones of ``ids``, with one ``contract.completed`` each; their ids, in order."""
    if not ids:
        return []
    # The status condition is evaluated again under the row lock, so a concurrent completion closes none twice.
    closed = set(session.scalars(update(Contract).where(Contract.id.in_(ids), Contract.status == ACTIVE)
                                 .values(status=DONE, completed_at=utcnow()).returning(Contract.id)))
    in_order = [i for i in ids if i in closed]
    if in_order:
        OUTBOX.record_many(session, CONTRACT_DONE, [{"contract_id": i, "project_id": project_id, "cause": cause}
                                                    for i in in_order])
    return in_order


# --- answers --------------------------------------------------------------------------------------------------

def contract_out(session: Session, contract: Contract) -> dict[str, Any]:
    return contracts_out(session, [contract])[0]


def contracts_out(session: Session, contracts: Sequence[Contract]) -> list[dict[str, Any]]:
    """Contracts as the API answers them, with both parties named and R22's display name."""
    party_ids = {c.awarded_by for c in contracts} | {c.contractor_id for c in contracts}
    parties = {p.enterprise_id: p for p in session.scalars(select(Party).where(Party.enterprise_id.in_(party_ids)))}
    names: dict[str, str] = dict(session.execute(
        select(Project.id, Project.name).where(Project.id.in_({c.project_id for c in contracts}))).all())
    return [_out(c, parties[c.awarded_by], parties[c.contractor_id], names[c.project_id]) for c in contracts]


def _out(c: Contract, awarder: Party, contractor: Party, project_name: str) -> dict[str, Any]:
    shown, missing = display_name(c.name, project_name, c.tier)
    return {"id": c.id, "project_id": c.project_id, "tier": c.tier, "kind": c.kind, "parent_id": c.parent_id,
            "awarded_by": {"enterprise_id": awarder.enterprise_id, "name": awarder.name},
            "contractor": {"enterprise_id": contractor.enterprise_id, "name": contractor.name,
                           "uscc": contractor.uscc},
            "name": c.name, "display_name": shown, "name_missing": missing, "status": c.status,
            "created_at": c.created_at, "completed_at": c.completed_at}
