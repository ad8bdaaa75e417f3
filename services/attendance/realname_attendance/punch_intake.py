"""Punches from the gates (R27), kept exactly once as they were sent.

Native gates and site bridges publish ``gate.punched`` from their own broker accounts; the device a punch names
must be the sender's (``senders``). The gate's own event identity (ISAPI serial number with its time, ZKTeco SN +
PIN + time) makes a punch sent twice one row. Kept here, so that no gate holds punches back for want of a queue;
judging them against who was admitted, and the ledger built on them, come next. A punch's photo is not kept: it
is biometric and has no retention yet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from realname_attendance.models import ReceivedPunch
from realname_attendance.senders import gate_of_sender
from realname_codes.gate_protocol import DIRECTIONS, PUNCHED, InvalidGateMessage, Punch, message_of
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.timeutil import utcnow


def gate_punched(session: Session, event: Envelope) -> None:
    punch = _punch(event)
    gate = gate_of_sender(session, event.sender, punch.device)
    at = _instant(punch.at)
    offset = at.utcoffset()
    assert offset is not None  # _instant refuses a time without its offset
    build = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(build(ReceivedPunch).values(
        gate_id=gate.id, event_key=punch.event_key, worker_key=punch.worker_key, at=at,
        offset_minutes=int(offset.total_seconds() // 60),
        direction=punch.direction if punch.direction in DIRECTIONS else None,
        verified_by=punch.verified_by[:20], sender=str(event.sender), received_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=[ReceivedPunch.gate_id, ReceivedPunch.event_key]))


def _punch(event: Envelope) -> Punch:
    try:
        message = message_of(PUNCHED, event.data)
    except InvalidGateMessage as exc:
        raise PoisonMessage(f"gate.punched: {exc}") from exc
    assert isinstance(message, Punch)
    if len(message.event_key) > 200 or len(message.worker_key) > 32:
        raise PoisonMessage("gate.punched: event_key or worker_key too long")
    return message


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PoisonMessage(f"gate.punched: time {text[:40]!r} is not ISO 8601") from exc
    if moment.tzinfo is None:
        raise PoisonMessage("gate.punched: a time without its UTC offset cannot be placed on a day")
    return moment
