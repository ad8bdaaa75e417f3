"""Punches posted over HTTPS by a signed device (``punch_keys``), handed to the one punch intake (R27).

Nothing here writes a punch. Each punch is decoded as the AMQP ones are (``gate_protocol.Punch``); the device it
names must be the signer's own (``senders``: a native gate's, or a gate behind the signing bridge), else the whole
post is refused. Each good punch is recorded as ``punch.posted`` in the outbox, in the transaction that keeps its
photo (apart, sealed, never in the event): the attendance consumer hands it to the intake as the ``gate.punched``
its signer would have sent over AMQP. A punch posted twice is one punch there, and the answer is the same.

``punch.posted`` reaches only the ``posted-punches`` queue, bound to attendance's own exchange, which no device may
write to: a device cannot pass a message off as one, nor name another sender in it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, Gate
from realname_attendance.punch_keys import Signer
from realname_attendance.punch_photos import keep_checked_photo
from realname_attendance.rules.punch_photo import punch_photo
from realname_attendance.senders import gates_of_sender
from realname_codes.gate_protocol import PUNCHED, InvalidGateMessage, Punch, message_of
from realname_kit.bus.envelope import Envelope
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem

PUNCH_POSTED = "punch.posted"
MAX_PUNCHES = 500  # per post; a body is at most REALNAME_MAX_REQUEST_BYTES too
ACCEPTED, REFUSED, KEPT = "accepted", "refused", "kept"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one posted punch: accepted for the intake, or refused with why; and of its photo."""

    device: str | None
    event_key: str | None
    outcome: str
    reason: str | None = None
    detail: str | None = None
    photo: str | None = None  # kept, or why it was dropped (rules.punch_photo); None: none sent


def take_posted_punches(session: Session, keyring: Keyring, signer: Signer,
                        items: list[dict[str, Any]]) -> dict[str, Any]:
    gates = gates_of_sender(session, signer.account)
    decoded = [_decoded(item) for item in items]
    foreign = sorted({p.device for p, _ in decoded if p is not None and p.device not in gates})
    if foreign:
        raise Problem(403, "not_your_device", "The post names a device its signer does not speak for",
                      "Post only the punches of your own gate, or of the gates registered behind your bridge.",
                      devices=[serial[:64] for serial in foreign[:20]],
                      message_zh="上传的打卡里有不属于本设备的闸机：只能上传本闸机或登记在本网关下的闸机的打卡。")
    outcomes, events = [], []
    for punch, refusal in decoded:
        if punch is None:
            outcomes.append(refusal)
            continue
        outcome = _accepted(session, keyring, punch, gates[punch.device])
        outcomes.append(outcome)
        events.append({**asdict(replace(punch, photo_jpeg=None)), "sender": signer.account,
                       "photo_kept": outcome.photo == KEPT})
    OUTBOX.record_many(session, PUNCH_POSTED, events)  # one statement for the whole post
    accepted = len(events)
    return {"accepted": accepted, "refused": len(outcomes) - accepted, "punches": [asdict(o) for o in outcomes]}


def as_gate_punched(event: Envelope) -> Envelope:
    """A ``punch.posted`` as the ``gate.punched`` its signer would have sent over AMQP, ``sender`` its account (a
    batch intake maps each with this). ``photo_kept`` (dropped here): its photo is in ``punch_photos`` already."""
    data = {k: v for k, v in event.data.items() if k not in ("sender", "photo_kept")}
    sender = event.data.get("sender")
    return replace(event, type=PUNCHED, data=data, sender=sender if isinstance(sender, str) else None)


def _accepted(session: Session, keyring: Keyring, punch: Punch, gate: Gate) -> Outcome:
    """Accepted, its photo kept apart when it is one (``rules.punch_photo``)."""
    photo = None
    if punch.photo_jpeg is not None:
        checked = punch_photo(punch.photo_jpeg)
        if checked.jpeg is not None:
            keep_checked_photo(session, punch.device, punch.event_key, _instant(punch.at), checked.jpeg,
                               keyring=keyring, gate_id=gate.id)
        photo = KEPT if checked.jpeg is not None else checked.problem
    return Outcome(punch.device, punch.event_key, ACCEPTED, photo=photo)


def _decoded(item: dict[str, Any]) -> tuple[Punch | None, Outcome]:
    """The punch, or its refusal: what the intake would dead-letter is refused here, with the reason."""
    device, event_key = item.get("device"), item.get("event_key")
    named = Outcome(device if isinstance(device, str) else None, event_key if isinstance(event_key, str) else None,
                    REFUSED)
    try:
        punch = message_of(PUNCHED, item)
    except InvalidGateMessage as exc:
        return None, replace(named, reason="punch_invalid", detail=str(exc)[:200])
    assert isinstance(punch, Punch)
    if len(punch.device) > 64 or len(punch.event_key) > 200 or len(punch.worker_key) > 32:
        return None, replace(named, reason="punch_invalid", detail="device, event_key or worker_key too long")
    try:
        _instant(punch.at)
    except ValueError:
        return None, replace(named, reason="punch_time_invalid", detail="at: ISO 8601 with the gate's UTC offset")
    return punch, named


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time without its UTC offset cannot be placed on a day")
    return moment
