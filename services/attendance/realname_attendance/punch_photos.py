"""Punch photos: kept apart from the punch, sealed with the data keyring, shown to whoever may see them (each view
audited), deleted after PUNCH_PHOTO_RETENTION_DAYS (``punch_photo_retention``). Never in a log line or an event.

``keep_punch_photo`` is what an intake calls inside the transaction that keeps the punch; it keeps a photo once
per punch (a punch sent again changes nothing), and drops one that is not a small JPEG (``rules.punch_photo``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, PUNCH_PHOTO_CONTEXT, Gate, Project, PunchPhoto
from realname_attendance.rules.punch_photo import punch_photo
from realname_codes.roles import MANAGE_GATES, REGULATOR
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import open_bytes, seal_bytes
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow


def keep_punch_photo(session: Session, device: str, event_key: str, at: datetime, photo_b64: str, *,
                     keyring: Keyring, gate_id: str | None) -> bool:
    """Keep the photo of the punch (``device``, ``event_key``, ``at``) sealed; False when it is not a small JPEG
    (``rules.punch_photo.punch_photo`` says why). ``gate_id``: the gate it was taken at, whose managers may see it."""
    photo = punch_photo(photo_b64)
    if photo.jpeg is None:
        return False
    keep_checked_photo(session, device, event_key, at, photo.jpeg, keyring=keyring, gate_id=gate_id)
    return True


def keep_checked_photo(session: Session, device: str, event_key: str, at: datetime, jpeg: bytes, *,
                       keyring: Keyring, gate_id: str | None) -> None:
    """A photo ``rules.punch_photo`` let through, kept once per punch."""
    build = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(build(PunchPhoto).values(
        device=device, event_key=event_key, at=at, gate_id=gate_id, size_bytes=len(jpeg), kept_at=utcnow(),
        photo_enc=seal_bytes(keyring, jpeg, PUNCH_PHOTO_CONTEXT),
    ).on_conflict_do_nothing(index_elements=[PunchPhoto.device, PunchPhoto.event_key, PunchPhoto.at]))


def view_punch_photo(session: Session, keyring: Keyring, caller: Caller, device: str, *, event_key: str,
                     at: datetime) -> bytes:
    """The JPEG, to regulators and to the general contractor's gate managers of the gate's project (R21, R32);
    anyone else: 404, as if there were none. Each view audited."""
    photo = session.get(PunchPhoto, (device, event_key, at))
    if photo is None or not _may_see(session, caller, photo):
        raise Problem(404, "punch_photo_not_found", "No punch photo you may see has this key",
                      "Take device, event_key and at from the punch; a photo is kept only for a while.",
                      device=device, message_zh="找不到您可查看的这张打卡照片：请核对打卡记录；照片只保存一段时间。")
    record_audit(session, OUTBOX, action="punch.photo_viewed", actor=caller, subject=f"{device}/{event_key}"[:200],
                 details={"device": device, "at": at.isoformat(), "gate_id": photo.gate_id})
    return open_bytes(keyring, photo.photo_enc, PUNCH_PHOTO_CONTEXT)


def _may_see(session: Session, caller: Caller, photo: PunchPhoto) -> bool:
    if REGULATOR in caller.roles:  # the operators (admin) are not served biometrics
        return True
    gate = session.get(Gate, photo.gate_id) if photo.gate_id else None
    project = session.get(Project, gate.project_id) if gate is not None else None
    return project is not None and caller.acts_for(project.general_contractor_id) \
        and caller.holds(project.id, MANAGE_GATES)
