"""Taking a card read in (R1): stored once by its read id, checked at once, then left to the authority.

A read is stored whatever it holds, so that its outcome can be asked for: one that fails the local checks
(``checks.check_card``) is ``rejected`` at once; any other is ``pending`` until the authority answers, and
announced as such (``identity.read_pending``), so that it can fill a registration in meanwhile (R3).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_identity import events
from realname_identity.checks import Rejection, check_card
from realname_identity.models import ID_NUMBER, OUTBOX, PHOTO_CONTEXT, CardPhoto, CardRead
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem

PENDING_EVENT = "identity.read_pending"
MAX_PHOTO_BYTES = 200_000  # a reader's WLT photo is 1,024 bytes; a browser's JPEG of the card stays far below
_TEXT_FIELDS = ("name", "sex", "ethnicity", "address", "id_number", "issuing_authority")


@dataclass(frozen=True, slots=True)
class IncomingRead:
    read_id: str
    employer_id: str
    source: str  # edge | browser
    sender: str  # the broker account or the login
    read_at: datetime
    card: Mapping[str, Any]  # as sent: dates as ISO text or dates, valid_to None for a long-term card
    photo: bytes | None = None
    photo_format: str = "wlt"


class MalformedRead(ValueError):
    """Not a card read at all (a field missing or of the wrong type): nothing to store."""


def accept_read(session: Session, keyring: Keyring, incoming: IncomingRead, today: date,
                now: datetime) -> tuple[CardRead, bool]:
    """The stored read and whether it is new; a repeat of a read id returns the read as it stands."""
    existing = session.scalars(select(CardRead).where(CardRead.id == incoming.read_id)).first()
    if existing is not None:
        if existing.employer_id != incoming.employer_id:
            raise Problem(409, "read_id_taken", "This read id belongs to another employer's read: "
                          "send a new one for a new read.",
                          message_zh="这个读卡编号已被其他单位使用：新的读卡请用新的编号。")
        return existing, False
    card = typed_card(incoming.card)
    rejection = check_card(card, today)
    read = _new_read(incoming, card, keyring, now)
    session.add(read)
    session.flush()  # the photo refers to it (no ORM relationship orders the two)
    if incoming.photo is not None:
        session.add(CardPhoto(read_id=read.id, format=incoming.photo_format, size=len(incoming.photo),
                              photo_enc=keyring.encrypt(base64.b64encode(incoming.photo).decode(),
                                                        context=PHOTO_CONTEXT)))
    if rejection is not None:
        reject(session, keyring, read, rejection, now)
    else:
        OUTBOX.record(session, PENDING_EVENT, events.pending(read, keyring), version=events.VERSION)
    return read, True


def reject(session: Session, keyring: Keyring, read: CardRead, rejection: Rejection, now: datetime) -> None:
    read.status, read.reason, read.reason_detail = "rejected", rejection.reason, rejection.detail or None
    read.decided_at, read.next_attempt_at, read.last_error = now, None, None
    OUTBOX.record(session, "identity.rejected",
                  events.rejected(read, keyring, rejection.message, rejection.message_zh), version=events.VERSION)


def typed_card(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The card's fields with dates as dates; a date that is not one stays None (the checks then refuse it)."""
    card: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = raw.get(name)
        if not isinstance(value, str):
            raise MalformedRead(f"{name} must be text")
        card[name] = value.strip()
    for name in ("birth_date", "valid_from", "valid_to"):
        card[name] = _date(raw.get(name))
    serial = raw.get("card_serial")
    card["card_serial"] = serial if isinstance(serial, str) and serial else None
    return card


def photo_bytes(raw: object) -> bytes | None:
    """The base64 photo of a payload (None when absent); MalformedRead when it is not base64 or too large."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > MAX_PHOTO_BYTES * 4 // 3 + 4:
        raise MalformedRead(f"photo must be base64 of at most {MAX_PHOTO_BYTES} bytes")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedRead("photo is not base64") from exc


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _new_read(incoming: IncomingRead, card: Mapping[str, Any], keyring: Keyring, now: datetime) -> CardRead:
    return CardRead(
        id=incoming.read_id, employer_id=incoming.employer_id, source=incoming.source, sender=incoming.sender,
        status="pending", name=card["name"][:60], sex=card["sex"][:6], ethnicity=card["ethnicity"][:2],
        birth_date=card["birth_date"], address=card["address"][:200],
        issuing_authority=card["issuing_authority"][:100], valid_from=card["valid_from"], valid_to=card["valid_to"],
        card_serial=(card["card_serial"] or "")[:64] or None, read_at=incoming.read_at, received_at=now,
        attempts=0, **ID_NUMBER.seal(keyring, card["id_number"][:40]))
