"""Exit (退场) from projects, never a manual act (R24): on a completed contract or project, an ended employment, death.

Accepted assignments become ``exited`` and ``assignment.exited`` is recorded, on which the attendance service
revokes the worker from the project's gates (R26); requested ones are withdrawn. Both move in one statement, so an
acceptance in flight cannot slip between them: the statement waits for the decision's row lock and then finds the
row accepted, and exits it. A second run finds nothing left to exit: every cause is safe to handle twice.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.orm import Session

from realname_assignment.assignment_rules import (
    ACCEPTED,
    EXIT_CAUSES,
    EXITED,
    REQUESTED,
    WITHDRAWN,
)
from realname_assignment.contract_rules import CONTRACT_COMPLETED, PROJECT_COMPLETED
from realname_assignment.models import OUTBOX, Assignment, Contract
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.fields import required_text
from realname_kit.bus.processing import Handler, PoisonMessage
from realname_kit.timeutil import utcnow

ASSIGNMENT_EXITED = "assignment.exited"
ASSIGNMENT_WITHDRAWN = "assignment.withdrawn"


def exit_assignments(session: Session, which: ColumnElement[bool], cause: str) -> tuple[int, int]:
    """Exit the accepted assignments ``which`` selects and withdraw the requested ones; (exited, withdrawn)."""
    if cause not in EXIT_CAUSES:
        raise ValueError(f"not an exit cause: {cause}")
    now = utcnow()
    was_accepted = Assignment.status == ACCEPTED
    # A request nobody accepted yet never put the worker on the project: it is withdrawn, for the same cause.
    statement = (update(Assignment).where(which, Assignment.status.in_((ACCEPTED, REQUESTED)))
                 .values(status=case((was_accepted, EXITED), else_=WITHDRAWN),
                         exited_at=case((was_accepted, now), else_=Assignment.exited_at),
                         exit_cause=cause, version=Assignment.version + 1)
                 .returning(Assignment.id, Assignment.project_id, Assignment.worker_id, Assignment.employer_id,
                            Assignment.status)
                 .execution_options(synchronize_session=False))
    moved = [({"assignment_id": a, "project_id": p, "worker_id": w, "employer_id": e}, status)
             for a, p, w, e, status in session.execute(statement)]
    exited = [row for row, status in moved if status == EXITED]
    withdrawn = [row for row, status in moved if status == WITHDRAWN]
    OUTBOX.record_many(session, ASSIGNMENT_EXITED, [
        {**row, "cause": cause, "exited_at": now.isoformat()} for row in exited])
    OUTBOX.record_many(session, ASSIGNMENT_WITHDRAWN, [
        {**row, "cause": cause, "withdrawn_at": now.isoformat()} for row in withdrawn])
    return len(exited), len(withdrawn)


def contract_completed(session: Session, event: Envelope) -> None:
    """``contract.completed``: everyone under the contract exits, and under the labour subcontracts beneath it."""
    contract_id = required_text(event, "contract_id")
    cause = event.data.get("cause") or CONTRACT_COMPLETED
    if cause not in (CONTRACT_COMPLETED, PROJECT_COMPLETED):
        raise PoisonMessage(f"contract.completed with an unknown cause {cause!r}")
    beneath = select(Contract.id).where(Contract.parent_id == contract_id).scalar_subquery()
    exit_assignments(session, or_(Assignment.contract_id == contract_id, Assignment.contract_id.in_(beneath)), cause)


def project_completed(session: Session, event: Envelope) -> None:
    """``project.completed``: everyone on the project exits."""
    exit_assignments(session, Assignment.project_id == required_text(event, "project_id"), PROJECT_COMPLETED)


exit_handlers: dict[str, Handler] = {"contract.completed": contract_completed, "project.completed": project_completed}
