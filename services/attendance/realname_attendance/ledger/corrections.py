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

from realname_attendance.ledger.access import LedgerScope
from realname_attendance.ledger.dirty import mark_dirty
from realname_attendance.ledger.events import tell_corrected
from realname_attendance.ledger.queries import visible_worker
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
from realname_kit.privacy.blobs import open_bytes, seal_bytes
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


def correction_evidence(session: Session, keyring: Keyring, caller: Caller, scope: LedgerScope,
                        correction_id: str) -> tuple[LedgerCorrection, bytes]:
    """An uploaded evidence file, opened, for whoever reads that worker's ledger; each view audited."""
    correction = session.get(LedgerCorrection, correction_id)
    if correction is not None and correction.project_id == scope.project.id:
        visible_worker(session, scope, correction.worker_id)
    if correction is None or correction.project_id != scope.project.id or correction.evidence_enc is None:
        raise Problem(404, "evidence_not_found", "No evidence file of a correction on this project has this id",
                      "A correction whose evidence is a reference has no file: read it in the worker's day.",
                      correction_id=correction_id,
                      message_zh="找不到该补卡的证明材料文件：以存放位置登记的材料没有文件，请在工人当日考勤中查看。")
    record_audit(session, OUTBOX, action="attendance.correction_evidence_viewed", actor=caller,
                 subject=correction.worker_id, details={"correction_id": correction.id,
                                                        "sha256": correction.evidence_sha256})
    return correction, open_bytes(keyring, correction.evidence_enc, LEDGER_EVIDENCE_CONTEXT)
