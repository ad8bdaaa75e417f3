"""Entry confirmation (进场确认, R19, R20): the using enterprise accepts or rejects assignments, up to 1,000 a call.

The assignments of a batch are locked in one order (their ``seq``), so two operators deciding overlapping
batches wait for each other instead of deadlocking; the second finds the first's decision and is answered
``already_accepted`` with the same entry time. The entry time is the server's clock at acceptance, once (R19).

What a decision reads is locked too, in the order every writer takes: the workers FOR SHARE first (the exit
handlers hold them FOR UPDATE before they move assignments), then the assignments FOR UPDATE, then their
contracts FOR SHARE (a completion updates them). So an employment that ends, or a contract completed, while
a decision is in flight either waits for the decision and then exits the worker, or is seen by it (R24, R26).
Every accept and reject is written to the audit log with the operator, in the decision's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_assignment.assignment_rules import (
    ACCEPT,
    ACCEPTED,
    REJECTED,
    Refusal,
    check_decisions,
    decide,
    may_decide,
    worker_refusal,
)
from realname_assignment.assignments import assignment_event
from realname_assignment.models import OUTBOX, Assignment, Contract, KnownWorker
from realname_kit.audit import AuditedAct, record_audits
from realname_kit.auth import Caller
from realname_kit.timeutil import utcnow

ASSIGNMENT_ACCEPTED, ASSIGNMENT_REJECTED = "assignment.accepted", "assignment.rejected"
ENTRY_CONFIRMED, ENTRY_REJECTED = "entry.confirmed", "entry.rejected"  # the audit log's actions
NOT_YOURS = Refusal("assignment_not_found", "No assignment with this id awaits your decision: it is on a "
                                            "contract your enterprise did not award.")


def decide_assignments(session: Session, caller: Caller, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Apply each decision, or say why not; one answer item per decision, in the order given."""
    check_decisions(items)
    found, workers = _locked(session, [item["assignment_id"] for item in items])
    now = utcnow()
    answers: list[dict[str, Any]] = []
    accepted: list[Assignment] = []
    rejected: list[Assignment] = []
    for item in items:
        pair = found.get(item["assignment_id"])
        if pair is None or not may_decide(caller, pair[1]):
            answers.append(_refused(item["assignment_id"], NOT_YOURS))
            continue
        assignment, contract = pair
        answers.append(_apply(caller, assignment, contract.status, item, worker=workers.get(assignment.worker_id),
                              now=now))
        if answers[-1]["outcome"] == ACCEPTED:
            accepted.append(assignment)
        elif answers[-1]["outcome"] == REJECTED:
            rejected.append(assignment)
    session.flush()
    OUTBOX.record_many(session, ASSIGNMENT_ACCEPTED, [
        {**assignment_event(a), "entry_at": now.isoformat()} for a in accepted])
    OUTBOX.record_many(session, ASSIGNMENT_REJECTED, [
        {**assignment_event(a), "reason": a.rejection_reason} for a in rejected])
    _audit(session, caller, accepted, rejected)
    return {"items": answers, "counts": dict(Counter(a["outcome"] for a in answers))}


def _locked(session: Session, ids: Sequence[str]) -> tuple[dict[str, tuple[Assignment, Contract]],
                                                           dict[str, KnownWorker]]:
    """The assignments and their contracts, and the workers they name, locked as the module says."""
    # An assignment's worker never changes: its id, read unlocked, names the row to lock first.
    worker_ids = sorted(set(session.scalars(select(Assignment.worker_id).where(Assignment.id.in_(ids)))))
    workers = {w.worker_id: w for w in session.scalars(
        select(KnownWorker).where(KnownWorker.worker_id.in_(worker_ids)).order_by(KnownWorker.worker_id)
        .with_for_update(read=True))}
    assignments = list(session.scalars(select(Assignment).where(Assignment.id.in_(ids)).order_by(Assignment.seq)
                                       .with_for_update()))
    contracts = {c.id: c for c in session.scalars(
        select(Contract).where(Contract.id.in_({a.contract_id for a in assignments})).order_by(Contract.seq)
        .with_for_update(read=True))}
    return {a.id: (a, contracts[a.contract_id]) for a in assignments}, workers


def _audit(session: Session, caller: Caller, accepted: Sequence[Assignment], rejected: Sequence[Assignment]) -> None:
    """Each entry decision in the audit log, with the operator who made it (R19)."""
    for action, decided in ((ENTRY_CONFIRMED, accepted), (ENTRY_REJECTED, rejected)):
        record_audits(session, OUTBOX, action=action, actor=caller, acts=[
            AuditedAct(subject=a.id, reason=a.rejection_reason,
                       details={"project_id": a.project_id, "contract_id": a.contract_id, "worker_id": a.worker_id,
                                "employer_id": a.employer_id, "entry_at": a.entry_at.isoformat() if a.entry_at
                                else None}) for a in decided])


def _apply(caller: Caller, a: Assignment, contract_status: str, item: dict[str, Any], *, worker: KnownWorker | None,
           now: datetime) -> dict[str, Any]:
    decision = decide(a.status, item["decision"], contract_status)
    if decision.refusal is not None:
        return _refused(a.id, decision.refusal, a.status)
    if decision.new_status is None:  # the same decision again: answered as it stands (R20)
        return _answer(a, decision.outcome)
    if item["decision"] == ACCEPT:
        # Still theirs to employ? An ended employment withdraws the request, but it may be on its way (R24).
        refusal = worker_refusal(worker, a.employer_id)
        if refusal is not None:
            return _refused(a.id, refusal, a.status)
        a.entry_at = now  # R19: the moment of acceptance, set here and never again
    else:
        a.rejection_reason = str(item["reason"]).strip()
    a.status, a.decided_at, a.decided_by, a.version = decision.new_status, now, caller.subject, a.version + 1
    return _answer(a, decision.outcome)


def _answer(a: Assignment, outcome: str) -> dict[str, Any]:
    return {"assignment_id": a.id, "outcome": outcome, "status": a.status, "worker_id": a.worker_id,
            "entry_at": a.entry_at}


def _refused(assignment_id: str, refusal: Refusal, status: str | None = None) -> dict[str, Any]:
    return {"assignment_id": assignment_id, "outcome": "refused", "status": status, "reason": refusal.reason,
            "message": refusal.message}
