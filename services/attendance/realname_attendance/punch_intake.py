"""Punches from the gates (R27), taken in by the batch: every punch kept once and judged.

Native gates and site bridges publish ``gate.punched`` from their own broker accounts. A delivered batch is read
whole (``punch_lookup``: a few queries, not one per punch), each punch judged (``rules.punch_judgement``) and the
batch written with one INSERT (``punch_store``): a punch sent twice, or a ZKTeco batch sent 220 times, is one row,
by the device's own event identity. Nothing is dropped: a punch that is not valid is kept with its reason.

Refused (dead-lettered with the reason, kept nowhere): a message that is no punch, a time without its offset, and
a punch naming a gate its sender does not speak for (forgery). One bad message fails the batch; the kit then
handles its messages one by one, so only the bad one is dead-lettered.

A punch's photo (biometric) is kept apart, sealed (``punch_photos``); the punch says ``has_photo`` when it was.
Punches posted over HTTPS (``punch.posted``, their photos kept when posted) come through the same function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from realname_attendance.punch_lookup import Known, known_for
from realname_attendance.punch_photos import keep_punch_photo
from realname_attendance.punch_posts import PUNCH_POSTED, as_gate_punched
from realname_attendance.punch_store import store
from realname_attendance.rules.punch_judgement import is_late, judge, local_day
from realname_codes.gate_protocol import PUNCHED, InvalidGateMessage, Punch, message_of
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Handler, PoisonMessage, handles_batch
from realname_kit.privacy import Keyring, shared_keyring
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

EARLIEST_YEAR, LATEST_YEAR = 1970, 9000  # a time outside them is no clock's, only a broken message's


def punch_handlers(settings: Settings) -> dict[str, Handler]:
    """``gate.punched`` (from the gates' own accounts) and ``punch.posted`` (over HTTPS: its photo kept already)."""
    keyring = shared_keyring(settings)

    @handles_batch
    def gate_punched(session: Session, events: list[Envelope]) -> None:
        take_punches(session, events, keyring)

    @handles_batch
    def punch_posted(session: Session, events: list[Envelope]) -> None:
        kept = {(e.data.get("device"), e.data.get("event_key")) for e in events if e.data.get("photo_kept")}
        take_punches(session, [as_gate_punched(e) for e in events], keyring, photos_kept=kept)

    return {PUNCHED: gate_punched, PUNCH_POSTED: punch_posted}


def take_punches(session: Session, events: list[Envelope], keyring: Keyring,
                 photos_kept: set[tuple[Any, Any]] | None = None) -> None:
    """Judge and keep a batch of punches, with their photos."""
    punches = [(event.sender, _punch(event)) for event in events]
    instants = [_instant(p.at) for _, p in punches]
    known = known_for(session, {s for s, _ in punches if s}, {p.device for _, p in punches},
                      {p.worker_key for _, p in punches})
    received_at = utcnow()
    rows = {}
    for (sender, punch), at in zip(punches, instants, strict=True):
        row = _judged(known, sender, punch, at, received_at)
        row["has_photo"] = (punch.device, punch.event_key) in (photos_kept or set()) or (
            punch.photo_jpeg is not None and keep_punch_photo(session, punch.device, punch.event_key, at,
                                                              punch.photo_jpeg, keyring=keyring,
                                                              gate_id=row["gate_id"]))
        rows[row["device"], row["event_key"], at] = row  # the same punch twice in one batch: one row
    store(session, list(rows.values()))


def _judged(known: Known, sender: str | None, punch: Punch, at: datetime, received_at: datetime) -> dict[str, Any]:
    gate, project_id = known.gate(sender, punch.device)
    worker_id = known.workers.get(punch.worker_key)
    stays = known.stays.get((worker_id, project_id), []) if worker_id and project_id else []
    judgement = judge(gate, worker_id is not None, stays, at=at, received_at=received_at,
                      direction=punch.direction)
    offset = at.utcoffset()
    assert offset is not None  # _instant refuses a time without its offset
    return {
        "device": punch.device, "event_key": punch.event_key, "at": at, "day": local_day(at),
        "offset_minutes": int(offset.total_seconds() // 60), "gate_id": gate.gate_id if gate else None,
        "project_id": project_id, "worker_key": punch.worker_key, "worker_id": worker_id,
        "direction": judgement.direction, "verified_by": punch.verified_by[:20], "valid": judgement.valid,
        "reason": judgement.reason, "late": is_late(at, received_at), "has_photo": False,
        "sender": str(sender), "received_at": received_at,
    }


def _punch(event: Envelope) -> Punch:
    try:
        message = message_of(PUNCHED, event.data)
    except InvalidGateMessage as exc:
        raise PoisonMessage(f"gate.punched: {exc}") from exc
    assert isinstance(message, Punch)
    if len(message.device) > 64 or len(message.event_key) > 200 or len(message.worker_key) > 32:
        raise PoisonMessage("gate.punched: device, event_key or worker_key too long")
    return message


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PoisonMessage(f"gate.punched: time {text[:40]!r} is not ISO 8601") from exc
    if moment.tzinfo is None:
        raise PoisonMessage("gate.punched: a time without its UTC offset cannot be placed on a day")
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise PoisonMessage(f"gate.punched: the year {moment.year} is no gate clock's")
    return moment
