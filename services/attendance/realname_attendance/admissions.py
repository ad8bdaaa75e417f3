"""Who may pass a project's gates, learnt from the assignment service's events (R23, R26).

``assignment.accepted`` admits the worker from ``entry_at``: they are wanted on every enabled gate of the project.
``assignment.exited`` ends it: wanted off everywhere on the project, unless another accepted assignment still
admits them there. Both are idempotent and safe out of order: an exit seen before its acceptance stays exited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import Admission, Gate, Worker
from realname_attendance.pairs import enabled_gates, is_admitted, wish
from realname_attendance.rules.whitelist import OFF, ON
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage

ACCEPTED, EXITED = "accepted", "exited"


def known_worker(session: Session, worker_id: str, employer_id: str | None = None) -> Worker:
    """The worker's row, made on first sight: its ``key`` (the gates' employeeNo) is allocated once, here."""
    worker = session.scalars(select(Worker).where(Worker.worker_id == worker_id).with_for_update()).first()
    if worker is None:
        worker = Worker(worker_id=worker_id, employer_id=employer_id)
        session.add(worker)
        session.flush()
    elif worker.employer_id is None:
        worker.employer_id = employer_id
    return worker


def assignment_accepted(session: Session, event: Envelope) -> None:
    data = event.data
    admission = _admission(session, data)
    known_worker(session, admission.worker_id, admission.employer_id)
    if admission.status == EXITED:
        return  # the exit came first (R26): it stays exited
    admission.status = ACCEPTED
    if "team_id" in data:  # the team it was accepted in: the ledger's per-team figures (R28)
        admission.team_id = _text(data["team_id"])
    admission.entry_at = _instant(data.get("entry_at"), "entry_at") or admission.entry_at
    if admission.entry_at is not None:  # R23: only a confirmed entry opens the gates
        wish(session, enabled_gates(session, admission.project_id), [admission.worker_id], ON)


def assignment_exited(session: Session, event: Envelope) -> None:
    data = event.data
    admission = _admission(session, data)
    worker = known_worker(session, admission.worker_id, admission.employer_id)
    exited_at = _instant(data.get("exited_at"), "exited_at")
    admission.status = EXITED
    admission.exited_at = exited_at or admission.exited_at
    admission.exit_cause = str(data.get("cause") or "")[:40] or admission.exit_cause
    if exited_at is not None and (worker.last_exit_at is None or worker.last_exit_at < exited_at):
        worker.last_exit_at = exited_at
    session.flush()
    if not is_admitted(session, admission.project_id, admission.worker_id):  # R26
        gates = list(session.scalars(select(Gate.id).where(Gate.project_id == admission.project_id)))
        wish(session, gates, [admission.worker_id], OFF)


def _admission(session: Session, data: dict[str, object]) -> Admission:
    try:
        assignment_id, project_id = str(data["assignment_id"]), str(data["project_id"])
        worker_id, employer_id = str(data["worker_id"]), str(data["employer_id"])
    except KeyError as exc:
        raise PoisonMessage(f"an assignment event without {exc}") from exc
    admission = session.scalars(select(Admission).where(Admission.assignment_id == assignment_id)
                                .with_for_update()).first()
    if admission is None:
        admission = Admission(assignment_id=assignment_id, project_id=project_id, worker_id=worker_id,
                              employer_id=employer_id, contract_id=_text(data.get("contract_id")), status=ACCEPTED)
        session.add(admission)
    return admission


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


def _instant(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise PoisonMessage(f"{name} is not an ISO 8601 instant") from exc
    if instant.tzinfo is None:
        raise PoisonMessage(f"{name} has no offset")
    return instant
