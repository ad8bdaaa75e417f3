"""Recording, reading and withdrawing a worker's consent to the processing of their face (PIPL art. 29).

Who recorded it, for which enterprise, when, and how it was given are kept. A withdrawal keeps the record (with
when it was withdrawn) and deletes the face at once (PIPL art. 15, 47).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from realname_attendance.faces.handled import handled_worker
from realname_attendance.faces.removal import CONSENT_WITHDRAWN, remove_face
from realname_attendance.models import OUTBOX, FaceConsent
from realname_attendance.rules.face_consent import consent_date_problem
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow


def record_consent(session: Session, caller: Caller, worker_id: str, body: dict[str, Any],
                   today: date) -> FaceConsent:
    handled_worker(session, caller, worker_id, lock=True)
    if consent_date_problem(body["given_on"], today):
        raise Problem(422, "consent_in_future", "The consent's date is in the future", "Give the day the worker "
                      "gave it (today or before).", field="given_on",
                      message_zh="同意日期晚于今天：请填写工人实际表示同意的日期（今天或之前）。")
    consent = session.get(FaceConsent, worker_id)
    if consent is None:
        consent = FaceConsent(worker_id=worker_id)
        session.add(consent)
    consent.method, consent.given_on, consent.note = body["method"], body["given_on"], body.get("note") or ""
    consent.recorded_at, consent.recorded_by = utcnow(), caller.subject or ""
    consent.recorded_for, consent.withdrawn_at = caller.enterprise_id or "", None
    record_audit(session, OUTBOX, action="face.consent_recorded", actor=caller, subject=worker_id,
                 details={"method": consent.method, "given_on": consent.given_on.isoformat()})
    session.flush()
    return consent


def consent_record(session: Session, caller: Caller, worker_id: str) -> FaceConsent:
    """The consent as recorded (a withdrawn one too, with when)."""
    handled_worker(session, caller, worker_id)
    consent = session.get(FaceConsent, worker_id)
    if consent is None:
        raise _no_consent(worker_id)
    return consent


def withdraw_consent(session: Session, caller: Caller, worker_id: str) -> None:
    """Consent withdrawn: the face goes at once. Withdrawing it again changes nothing."""
    handled_worker(session, caller, worker_id, lock=True)
    consent = session.get(FaceConsent, worker_id)
    if consent is None:
        raise _no_consent(worker_id)
    if consent.withdrawn_at is not None:
        return
    consent.withdrawn_at = utcnow()
    record_audit(session, OUTBOX, action="face.consent_withdrawn", actor=caller, subject=worker_id)
    remove_face(session, worker_id, CONSENT_WITHDRAWN, caller)


def has_consent(session: Session, worker_id: str) -> bool:
    consent = session.get(FaceConsent, worker_id)
    return consent is not None and consent.withdrawn_at is None


def _no_consent(worker_id: str) -> Problem:
    return Problem(404, "face_consent_not_found", "No consent to face processing is recorded for this worker",
                   "Record it with PUT …/face-consent once the worker has given it.", worker_id=worker_id,
                   message_zh="该工人尚未登记人脸信息处理同意：请在工人本人同意后先登记同意记录。")
