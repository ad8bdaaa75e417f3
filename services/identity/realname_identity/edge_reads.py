"""The card inside an edge-reader's ``card.read``, opened with the key of the account that sent it (R4).

The reader seals every card with its account's key (``realname_codes.card_seal``); the broker vouches for the
account (``user_id``), and only that account's key opens the card, for that read id only. A plain read is
refused, except from an account opened before reads were sealed while the upgrade window set by
``REALNAME_IDENTITY_PLAIN_CARD_READS_UNTIL`` lasts: such a reader cannot seal until it gets a new account.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from realname_codes.card_seal import CardSeal, UnsealableCard, is_sealed
from realname_identity.models import SEAL_KEY_CONTEXT, ReaderAccount
from realname_kit.privacy import Keyring
from realname_kit.settings import Settings

PLAIN_UNTIL = "REALNAME_IDENTITY_PLAIN_CARD_READS_UNTIL"


class RefusedEdgeRead(ValueError):
    """A read whose card cannot be taken: ``reason`` is the code its dead letter carries."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def plain_reads_until(settings: Settings) -> datetime | None:
    """The end of the upgrade window for plain reads; None when there is none."""
    text = settings.value(PLAIN_UNTIL).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:  # the consumer does not start on a window it cannot read
        raise ValueError(f"{PLAIN_UNTIL} must be an ISO 8601 instant with its time zone "
                         f"(e.g. 2027-01-31T00:00:00+08:00), not {text!r}")
    return moment


def card_of(keyring: Keyring, account: ReaderAccount, read_id: str, data: Mapping[str, Any], *, now: datetime,
            plain_until: datetime | None) -> Mapping[str, Any]:
    """The card fields of the read ``read_id`` that ``account`` sent."""
    if not is_sealed(data):
        if account.seal_key_enc is not None:  # its reader was given a key: a plain read is not its reader's
            raise RefusedEdgeRead("card_read_not_sealed", f"{account.username!r} has a sealing key")
        if plain_until is None or now >= plain_until:
            raise RefusedEdgeRead("card_read_not_sealed", f"{account.username!r} is an account without a sealing "
                                  "key and no upgrade window is open: give the reader a new account")
        return data
    if account.seal_key_enc is None:
        raise RefusedEdgeRead("card_read_unsealable", f"{account.username!r} has no sealing key")
    seal = CardSeal(keyring.decrypt(account.seal_key_enc, context=SEAL_KEY_CONTEXT), account.username)
    try:
        return seal.open(read_id, data)
    except UnsealableCard as exc:
        raise RefusedEdgeRead("card_read_unsealable", str(exc)) from exc
