"""A face deleted: on request, on withdrawn consent, past its retention. The whitelist engine is told
(``face.removed``) and takes it off the gates; the act is audited. Never the photo in either."""

from __future__ import annotations

from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, Face
from realname_kit.audit import record_audit
from realname_kit.auth import Caller

FACE_REMOVED = "face.removed"
ON_REQUEST, CONSENT_WITHDRAWN, RETENTION = "removed_on_request", "consent_withdrawn", "retention"


def remove_face(session: Session, worker_id: str, cause: str, actor: Caller | None) -> bool:
    """Delete the worker's face, if there is one; False (and nothing recorded) when there was none."""
    face = session.get(Face, worker_id, with_for_update=True)
    if face is None:
        return False
    session.delete(face)
    OUTBOX.record(session, FACE_REMOVED, {"worker_id": worker_id, "cause": cause})
    record_audit(session, OUTBOX, action="face.removed", actor=actor, subject=worker_id, reason=cause,
                 details={"sha256": face.sha256})
    return True
