"""The sealed card of a ``card.read``: what the edge-reader seals and the identity service opens (R4, PIPL art. 51).

Each reader account has a sealing key of its own, issued with its broker password and shown only then. The
reader seals the whole card (name, ID number, address, birth date, photo and the rest) before it spools or
publishes it, so its spool file, the broker, and any dead letter hold ciphertext only::

    {"read_id": "…", "employer_id": "…", "sealed_card": "c1:<b64url nonce>:<b64url AES-256-GCM ciphertext+tag>"}

The associated data names the account and the read id: a sealed card copied into another account's message,
or under another read id, does not open. A new key comes with a new account; revoking the account ends the key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_CARD = "sealed_card"
KEY_BYTES = 32
_VERSION = "c1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class SealKeyError(ValueError):
    """The text given as a sealing key is not 32 bytes of base64url."""


class UnsealableCard(ValueError):
    """A sealed card that is malformed, was altered, or was sealed for another account or read."""


def new_seal_key() -> str:
    """A fresh key as the reader's configuration takes it (base64url, 43 characters)."""
    return _b64(secrets.token_bytes(KEY_BYTES))


def parse_seal_key(text: str) -> bytes:
    key = _b64decode(text.strip())
    if key is None or len(key) != KEY_BYTES:
        raise SealKeyError(f"a sealing key is {KEY_BYTES} bytes in unpadded base64url (43 characters)")
    return key


class CardSeal:
    """Seals and opens the cards of one reader ``account``. Its repr shows no key."""

    __slots__ = ("_aead", "account")

    def __init__(self, key: str | bytes, account: str) -> None:
        raw = parse_seal_key(key) if isinstance(key, str) else key
        if len(raw) != KEY_BYTES:
            raise SealKeyError(f"a sealing key is {KEY_BYTES} bytes, not {len(raw)}")
        self._aead, self.account = AESGCM(raw), account

    def __repr__(self) -> str:
        return f"CardSeal(account={self.account!r})"

    def seal(self, read_id: str, card: Mapping[str, Any]) -> dict[str, str]:
        """``{"sealed_card": …}`` for the card of read ``read_id``."""
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps(dict(card), ensure_ascii=False, separators=(",", ":")).encode()
        sealed = self._aead.encrypt(nonce, plain, _associated(self.account, read_id))
        return {SEALED_CARD: f"{_VERSION}:{_b64(nonce)}:{_b64(sealed)}"}

    def open(self, read_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """The card sealed in ``data`` for read ``read_id``; ``UnsealableCard`` when it does not authenticate."""
        value = data.get(SEALED_CARD)
        parts = value.split(":") if isinstance(value, str) else []
        nonce, sealed = (_b64decode(parts[1]), _b64decode(parts[2])) if len(parts) == 3 else (None, None)
        if parts[:1] != [_VERSION] or nonce is None or sealed is None or len(nonce) != _NONCE_BYTES \
                or len(sealed) < _TAG_BYTES:
            raise UnsealableCard("the sealed card is malformed")
        try:
            card = json.loads(self._aead.decrypt(nonce, sealed, _associated(self.account, read_id)))
        except InvalidTag:
            raise UnsealableCard(f"the sealed card was not sealed by {self.account!r} for read {read_id!r}, "
                                 "or was altered") from None
        if not isinstance(card, dict):
            raise UnsealableCard("the sealed card is not a card")
        return card


def is_sealed(data: Mapping[str, Any]) -> bool:
    """True for a sealed read; False for the plain one a reader older than sealing sends."""
    return SEALED_CARD in data


def _associated(account: str, read_id: str) -> bytes:
    return f"card.read\0{account}\0{read_id}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes | None:
    """Unpadded base64url, canonical only."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == text else None
