"""The stored forms of a worker's personal numbers: ciphertext, blind index, and the index of the tail."""

from __future__ import annotations

from realname_kit.privacy import Keyring, normalise
from realname_registry.models import ID_NUMBER, ID_TAIL_FIELD, PHONE, PHONE_TAIL_FIELD
from realname_registry.search import tail_index


def number_columns(keyring: Keyring, id_number: str, phone: str) -> dict[str, str | None]:
    """Column values for a new worker (the ID number and phone already valid)."""
    return {**ID_NUMBER.seal(keyring, id_number), **phone_columns(keyring, phone),
            "id_tail_bidx": tail_index(keyring, ID_TAIL_FIELD, normalise(id_number, "id_number"))}


def phone_columns(keyring: Keyring, phone: str) -> dict[str, str | None]:
    return {**PHONE.seal(keyring, phone), "phone_tail_bidx": tail_index(keyring, PHONE_TAIL_FIELD,
                                                                        normalise(phone, "phone"))}
