"""The events the identity service tells: ``identity.read_pending``, ``identity.verified``, ``identity.rejected``.

All carry the ID number: the registry matches reads to the workers it registered by it. A pending read carries
the card's fields as a verified one does, no more, so that a registration can be filled in from it while the
authority is closed (R3). The photo never travels in an event.

Version 2: every field of the card is sealed with the data keyring (``SealedFields``, the keys of the protected
columns), so that no outbox row, broker message or dead letter holds an ID number, or a name beside an address,
in clear (R4, PIPL); the read's id, its employer, its times and the reason of a rejection stay plain. Version 1
carried them in clear: the registry still reads it, for the messages published before an upgrade.
"""

from __future__ import annotations

from typing import Any

from realname_identity.models import ID_NUMBER, CardRead
from realname_kit.privacy import Keyring, SealedFields

VERSION = 2
CARD_FIELDS = ("id_number", "name", "sex", "ethnicity", "birth_date", "address", "issuing_authority",
               "valid_from", "valid_to", "card_serial")
PENDING = SealedFields("identity.read_pending", CARD_FIELDS)
VERIFIED = SealedFields("identity.verified", CARD_FIELDS)
REJECTED = SealedFields("identity.rejected", ("id_number",))
SEALED = {sealed.event_type: sealed for sealed in (PENDING, VERIFIED, REJECTED)}


def pending(read: CardRead, keyring: Keyring) -> dict[str, Any]:
    """A read that passed its own checks and waits for the authority (R3)."""
    return PENDING.seal(keyring, {**_card(read, keyring), "received_at": read.received_at.isoformat()})


def verified(read: CardRead, keyring: Keyring) -> dict[str, Any]:
    assert read.decided_at is not None
    return VERIFIED.seal(keyring, {**_card(read, keyring), "verified_at": read.decided_at.isoformat()})


def _card(read: CardRead, keyring: Keyring) -> dict[str, Any]:
    assert read.birth_date is not None and read.valid_from is not None
    return {"read_id": read.id, "employer_id": read.employer_id, "id_number": _number(read, keyring),
            "name": read.name, "sex": read.sex, "ethnicity": read.ethnicity,
            "birth_date": read.birth_date.isoformat(), "address": read.address,
            "issuing_authority": read.issuing_authority, "valid_from": read.valid_from.isoformat(),
            "valid_to": read.valid_to.isoformat() if read.valid_to else None, "card_serial": read.card_serial}


def rejected(read: CardRead, keyring: Keyring, message: str, message_zh: str) -> dict[str, Any]:
    return REJECTED.seal(keyring, {
        "read_id": read.id, "employer_id": read.employer_id, "id_number": _number(read, keyring),
        "reason": read.reason, "message": message, "message_zh": message_zh,
        "rejected_at": read.decided_at.isoformat() if read.decided_at else None})


def _number(read: CardRead, keyring: Keyring) -> str:
    number = ID_NUMBER.open(keyring, read.id_number_enc)
    assert number is not None
    return number
