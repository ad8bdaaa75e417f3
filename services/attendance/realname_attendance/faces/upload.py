"""A worker's face photo stored: checked and normalised for the gates, sealed, told to the whitelist engine.

Three steps, so that no lock is held while the picture is decoded and measured, and nobody makes the service decode
a picture for a worker they may not handle: ``may_upload`` (a short transaction), ``checked_photo`` (no database),
``store_face`` (checks access and consent again, under the worker's row lock).

The same photo sent again (a retry) changes nothing and records nothing: the normalised JPEG is the same bytes, so
its sha256 is the one stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from realname_attendance.faces.consent import has_consent
from realname_attendance.faces.handled import handled_worker
from realname_attendance.faces.image import NormalisedPhoto, normalised_photo
from realname_attendance.models import FACE_PHOTO_CONTEXT, OUTBOX, Face
from realname_attendance.rules.face_photo import PhotoRefused
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import open_bytes, seal_bytes
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow

FACE_RECORDED = "face.recorded"


@dataclass(frozen=True, slots=True)
class Stored:
    face: Face
    created: bool


def may_upload(session: Session, caller: Caller, worker_id: str, *, lock: bool = False) -> None:
    """The caller may handle the worker's face, and the worker's consent is on record; else 404 or 409."""
    handled_worker(session, caller, worker_id, lock=lock)
    if not has_consent(session, worker_id):
        raise Problem(409, "face_consent_missing", "The worker's consent to face processing is not on record",
                      "Have the worker sign the consent (PIPL art. 29), record it with PUT "
                      f"/api/v1/attendance/workers/{worker_id}/face-consent, then upload the photo again.",
                      worker_id=worker_id,
                      message_zh="尚未登记该工人对人脸信息处理的单独同意：请工人本人签署同意书，"
                                 "在“人脸同意”中登记后，再上传照片。")


def checked_photo(content: bytes) -> NormalisedPhoto:
    """The photo the gates get, or a 413/422 problem saying what to retake."""
    try:
        return normalised_photo(content)
    except PhotoRefused as refused:
        raise Problem(refused.status, refused.reason, refused.message, message_zh=refused.message_zh,
                      field="photo") from None  # the decoder's own error may quote the file: not passed on


def store_face(session: Session, keyring: Keyring, caller: Caller, worker_id: str,
               photo: NormalisedPhoto) -> Stored:
    may_upload(session, caller, worker_id, lock=True)  # consent may have been withdrawn meanwhile
    sha256 = hashlib.sha256(photo.jpeg).hexdigest()
    face = session.get(Face, worker_id)
    if face is not None and face.sha256 == sha256:
        return Stored(face, created=False)
    created = face is None
    if face is None:
        face = Face(worker_id=worker_id, version=0)
        session.add(face)
    face.photo_enc = seal_bytes(keyring, photo.jpeg, FACE_PHOTO_CONTEXT)
    face.sha256, face.width, face.height, face.size_bytes = sha256, photo.width, photo.height, len(photo.jpeg)
    face.measures, face.uploaded_at, face.uploaded_by = photo.measures, utcnow(), caller.subject or ""
    face.version += 1
    session.flush()
    OUTBOX.record(session, FACE_RECORDED, {"worker_id": worker_id, "sha256": sha256, "version": face.version})
    record_audit(session, OUTBOX, action="face.recorded", actor=caller, subject=worker_id,
                 details={"sha256": sha256, "bytes": face.size_bytes, "version": face.version})
    return Stored(face, created)


def face_of(session: Session, caller: Caller, worker_id: str) -> Face:
    handled_worker(session, caller, worker_id)
    face = session.get(Face, worker_id)
    if face is None:
        raise Problem(404, "face_photo_not_found", "No face photo is stored for this worker",
                      "Upload one with PUT …/face (after recording the worker's consent).", worker_id=worker_id,
                      message_zh="该工人还没有人脸照片：请在登记同意后上传照片。")
    return face


def face_photo(session: Session, keyring: Keyring, caller: Caller, worker_id: str) -> bytes:
    """The JPEG the gates get, to the callers who may handle the face; each view audited."""
    face = face_of(session, caller, worker_id)
    record_audit(session, OUTBOX, action="face.viewed", actor=caller, subject=worker_id,
                 details={"sha256": face.sha256})
    return face_jpeg(keyring, face)


def face_jpeg(keyring: Keyring, face: Face) -> bytes:
    """The normalised JPEG, opened: for the callers above, and for the whitelist engine building a gate's command."""
    return open_bytes(keyring, face.photo_enc, FACE_PHOTO_CONTEXT)
