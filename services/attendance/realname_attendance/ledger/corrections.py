"""A correction (补卡) recorded by the general contractor (R28, R32): never an edit of the gates' punches, which stay
as they were; a passage of its own, with its reason and evidence, that the day is computed again with. Audited, told
(``attendance.corrected``); the day is marked dirty in the same transaction, so the chore computes it within a round,
and a day already closed is told again (``corrected_late``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from realname_attendance.ledger.dirty import mark_dirty
from realname_attendance.ledger.events import tell_corrected
from realname_attendance.models import LEDGER_EVIDENCE_CONTEXT, OUTBOX, Admission, LedgerCorrection, Project
from realname_attendance.rules.corrections import (
    CorrectionRefused,
    check_moment,
    direction_of,
    evidence_type,
    require_evidence,
    require_reason,
)
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import seal_bytes
from realname_kit.problems import Problem


@dataclass(frozen=True, slots=True)
class Evidence:
    content: bytes
    name: str


@dataclass(frozen=True, slots=True)
class CorrectionAsked:
    worker_id: str
    day: date
    kind: str
    at: datetime
    direction: str | None
    reason: str
    evidence_reference: str | None
    evidence: Evidence | None


def record_correction(session: Session, keyring: Keyring, caller: Caller, project: Project, asked: CorrectionAsked,
                      *, now: datetime) -> LedgerCorrection:
    try:
        require_reason(asked.reason)
        direction = direction_of(asked.kind, asked.direction)
        check_moment(asked.day, asked.at, now)
        require_evidence(asked.evidence is not None, asked.evidence_reference)
        media_type = evidence_type(asked.evidence.content) if asked.evidence is not None else None
    except CorrectionRefused as refused:
        raise Problem(refused.status, refused.reason, refused.message, message_zh=refused.message_zh,
                      field=refused.field) from None
    admission = _admission_at(session, project.id, asked.worker_id, asked.at)
    correction = LedgerCorrection(project_id=project.id, worker_id=asked.worker_id, day=asked.day, kind=asked.kind,
                                  at=asked.at, direction=direction, reason=asked.reason.strip(),
                                  evidence_reference=(asked.evidence_reference or "").strip() or None,
                                  recorded_at=now, recorded_by=caller.subject or "",
                                  recorded_for=caller.enterprise_id or "")
    if asked.evidence is not None:
        correction.evidence_enc = seal_bytes(keyring, asked.evidence.content, LEDGER_EVIDENCE_CONTEXT)
        correction.evidence_name, correction.evidence_type = asked.evidence.name[:200], media_type
        correction.evidence_sha256 = hashlib.sha256(asked.evidence.content).hexdigest()
        correction.evidence_bytes = len(asked.evidence.content)
    session.add(correction)
    session.flush()
    mark_dirty(session, [(asked.worker_id, project.id, asked.day)])
    tell_corrected(session, correction, admission.employer_id)
    record_audit(session, OUTBOX, action="attendance.corrected", actor=caller, subject=asked.worker_id,
                 reason=correction.reason, details={
                     "correction_id": correction.id, "project_id": project.id, "day": asked.day.isoformat(),
                     "kind": asked.kind, "direction": direction, "at": asked.at.isoformat(),
                     "evidence_sha256": correction.evidence_sha256,
                     "evidence_reference": correction.evidence_reference})
    return correction


def _admission_at(session: Session, project_id: str, worker_id: str, at: datetime) -> Admission:
    """The admission that let the worker onto the project at ``at`` (R23, R27): nobody else has attendance there."""
    admission = session.scalars(select(Admission).where(
        Admission.project_id == project_id, Admission.worker_id == worker_id, Admission.entry_at <= at,
        or_(Admission.exited_at.is_(None), Admission.exited_at > at)).order_by(Admission.entry_at.desc())).first()
    if admission is None:
        raise Problem(422, "worker_not_admitted", "The worker was not admitted to this project at that time",
                      "Only the attendance of a worker whose entry was confirmed, and who had not exited, can be "
                      "corrected.", field="worker_id", worker_id=worker_id,
                      message_zh="该工人在该时间未经进场确认或已退场，不能补卡：请核对工人和时间。")
    return admission
