"""Data keys for personal data at rest: AES-256-GCM by key id, plus a blind-index key that never rotates.

The key file (REALNAME_DATA_KEYS_FILE) is JSON::

    {"active": "<kid>", "keys": {"<kid>": "<base64 32 bytes>", ...}, "blind_index_key": "<base64 32 bytes>"}

A stored value is one ASCII string ``v1:<kid>:<b64url nonce>:<b64url ciphertext+tag>`` (unpadded), the
``context`` (``"registry.workers.id_number"``) being the associated data: a value copied into another
column does not decrypt. Rotation (``add_key``) adds a key and makes it active; old keys stay for reading.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from realname_kit.privacy.normalise import Kind, normalise
from realname_kit.settings import Settings

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_KID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class PrivacyError(Exception):
    """Base of every error of this package."""


class KeyringError(PrivacyError):
    """The key file is missing a part or holds a malformed key."""


class UnknownKeyError(PrivacyError):
    """A stored value names a key id this keyring does not hold."""


class TamperedValueError(PrivacyError):
    """A stored value is malformed, was altered, or belongs to another context."""


class Keyring:
    """The data keys by id, the active id, and the blind-index key. Its repr shows no key."""

    __slots__ = ("_aead", "_blind_index_key", "active")

    def __init__(self, active: str, keys: Mapping[str, bytes], blind_index_key: bytes) -> None:
        for kid, key in keys.items():
            if not _KID.fullmatch(kid):
                raise KeyringError(f"key id {kid!r} is not 1-64 characters of A-Z a-z 0-9 _ -")
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {kid!r} is {len(key)} bytes, not {KEY_BYTES}")
        if active not in keys:
            raise KeyringError(f"the active key {active!r} is not among the keys")
        if len(blind_index_key) != KEY_BYTES:
            raise KeyringError(f"the blind-index key is {len(blind_index_key)} bytes, not {KEY_BYTES}")
        self.active = active
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self._blind_index_key = bytes(blind_index_key)

    def __repr__(self) -> str:
        return f"Keyring(active={self.active!r}, kids={sorted(self._aead)!r})"

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._aead)

    @classmethod
    def load(cls, path: Path) -> Keyring:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
            keys = {str(kid): _b64decode_key(value, f"key {kid!r}") for kid, value in doc["keys"].items()}
            return cls(str(doc["active"]), keys, _b64decode_key(doc["blind_index_key"], "blind_index_key"))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:  # KeyringError passes through
            raise KeyringError(f"{path}: not a data keyring ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        """The keyring at REALNAME_DATA_KEYS_FILE; at the default path it is created for development."""
        if settings.data_keys_file == settings.data_dir / "keys" / "data-keys.json":
            ensure_keyring(settings.data_keys_file)
        return cls.load(settings.data_keys_file)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.active].encrypt(nonce, plaintext.encode("utf-8"), _aad(context))
        return f"{VERSION}:{self.active}:{_b64(nonce)}:{_b64(sealed)}"

    def decrypt(self, stored: str, *, context: str) -> str:
        kid, nonce, sealed = _parse(stored)
        aead = self._aead.get(kid)
        if aead is None:
            raise UnknownKeyError(f"no data key {kid!r} in the keyring (value for {context!r})")
        try:
            return aead.decrypt(nonce, sealed, _aad(context)).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise TamperedValueError(f"value does not authenticate for {context!r} under key {kid!r}") from None

    def needs_rekey(self, stored: str) -> bool:
        """True when ``stored`` is encrypted under a key other than the active one."""
        return key_id(stored) != self.active

    def rekey(self, stored: str, *, context: str) -> str:
        """``stored`` under the active key (unchanged when it already is)."""
        if not self.needs_rekey(stored):
            return stored
        return self.encrypt(self.decrypt(stored, context=context), context=context)

    def blind_index(self, value: str, *, field: str, kind: Kind) -> str:
        """HMAC-SHA256 (hex) of ``field + "\\0" + normalise(value, kind)``: equal values, equal index.

        ``kind`` is required so that every caller normalises alike (see ``normalise``). The blind-index key
        does not rotate with the data keys, so an index stays valid across ``add_key``.
        """
        if "\0" in field:
            raise ValueError("a blind-index field name cannot hold NUL")
        message = f"{field}\0{normalise(value, kind)}".encode()
        return hmac.new(self._blind_index_key, message, hashlib.sha256).hexdigest()


def key_id(stored: str) -> str:
    """The key id a stored value was encrypted under."""
    return _parse(stored)[0]


def ensure_keyring(path: Path) -> bool:
    """Create a fresh keyring (mode 0600) unless one exists. True when it was created."""
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kid = _new_kid(set())
    doc = {"active": kid, "keys": {kid: _b64key(secrets.token_bytes(KEY_BYTES))},
           "blind_index_key": _b64key(secrets.token_bytes(KEY_BYTES))}
    tmp = _write_private(path, doc)
    try:
        os.link(tmp, path)  # atomic, and never over a keyring another process made a moment ago
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def add_key(path: Path) -> str:
    """Rotation: add a new data key and make it active; the old keys stay for decryption. Its key id."""
    path = Path(path)
    Keyring.load(path)  # refuse to rewrite a file that is not a valid keyring
    doc = json.loads(path.read_text(encoding="utf-8"))
    kid = _new_kid(set(doc["keys"]))
    doc["keys"][kid] = _b64key(secrets.token_bytes(KEY_BYTES))
    doc["active"] = kid
    os.replace(_write_private(path, doc), path)
    return kid


def _write_private(path: Path, doc: dict[str, Any]) -> Path:
    """``doc`` as JSON in a new 0600 file beside ``path``, flushed to disk."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp creates it 0600
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    return Path(name)


def _new_kid(taken: set[str]) -> str:
    while True:
        kid = f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
        if kid not in taken:
            return kid


def _parse(stored: str) -> tuple[str, bytes, bytes]:
    parts = stored.split(":")
    if len(parts) != 4 or parts[0] != VERSION:
        raise TamperedValueError(f"not a {VERSION} protected value")
    nonce, sealed = _b64decode(parts[2]), _b64decode(parts[3])
    if nonce is None or sealed is None or len(nonce) != NONCE_BYTES or len(sealed) < TAG_BYTES:
        raise TamperedValueError("malformed protected value")
    return parts[1], nonce, sealed


def _aad(context: str) -> bytes:
    if not context:
        raise ValueError("an encryption context is required")
    return context.encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes | None:
    """Unpadded base64url, canonical only: another spelling of the same bytes counts as tampering."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == text else None


def _b64key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _b64decode_key(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise KeyringError(f"{what} is not valid base64") from None


_SHARED: dict[str, Keyring] = {}


def shared_keyring(settings: Settings) -> Keyring:
    """One keyring per keyring file, loaded once per process (consumers and web workers alike)."""
    path = str(settings.data_keys_file)
    if path not in _SHARED:
        _SHARED[path] = Keyring.from_settings(settings)
    return _SHARED[path]


def request_keyring() -> Keyring:
    """The keyring of the service answering the current request."""
    from flask import current_app  # a web-only helper: consumers never import flask for it

    return shared_keyring(current_app.extensions["realname"].settings)
