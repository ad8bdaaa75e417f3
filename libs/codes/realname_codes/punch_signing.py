"""Punches posted over HTTPS (``POST /api/v1/attendance/punches``), signed with the device's own credential.

For a site bridge (or a native gate) that can reach only HTTPS. The broker account and password that the platform
issued stay the device's identity; the password never travels. Both sides derive a signing key from it::

    key = HMAC-SHA256(key = password (UTF-8), message = "realname punches v1")

and each request carries three headers:

* ``X-Realname-Account``: the broker account (``bridge-…`` / ``gate-…``);
* ``X-Realname-Timestamp``: Unix seconds when it was signed; refused further than ``REPLAY_WINDOW_S`` from the
  platform's clock either way;
* ``X-Realname-Signature``: lowercase hex ``HMAC-SHA256(key, timestamp + "\\n" + body)`` over the body's exact bytes.

A request replayed within the window changes nothing: a punch is kept once per device event identity. Rotating or
revoking the credential stops the old key at once. Standard library only, so the edge can sign with it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

ACCOUNT_HEADER = "X-Realname-Account"
TIMESTAMP_HEADER = "X-Realname-Timestamp"
SIGNATURE_HEADER = "X-Realname-Signature"
REPLAY_WINDOW_S = 300
_KEY_LABEL = b"realname punches v1"


def signing_key(password: str) -> bytes:
    """The key both sides sign with, derived from the device's broker password."""
    return hmac.new(password.encode(), _KEY_LABEL, hashlib.sha256).digest()


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(key, timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signature_matches(key: bytes, timestamp: str, body: bytes, claimed: str) -> bool:
    return hmac.compare_digest(signature(key, timestamp, body), claimed.strip().lower())


def within_window(timestamp: str, now: float) -> bool:
    """Signed within ``REPLAY_WINDOW_S`` of ``now``, either way (a device's clock may be a little ahead)."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs(int(timestamp) - now) <= REPLAY_WINDOW_S


def signed_headers(account: str, password: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers of a signed post of ``body``: what a bridge sends."""
    stamp = str(int(time.time() if now is None else now))
    return {ACCOUNT_HEADER: account, TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(signing_key(password), stamp, body)}
