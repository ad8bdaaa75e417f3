"""Files and other bytes kept encrypted at rest, as one protected value (a ``<field>_enc`` Text column).

The bytes are base64-encoded and encrypted like any protected value (``Keyring.encrypt``, the context binding
the ciphertext to its column), so ``rekey_rows`` re-encrypts them after a key rotation like the others.
"""

from __future__ import annotations

import base64

from realname_kit.privacy.keyring import Keyring


def seal_bytes(keyring: Keyring, data: bytes, context: str) -> str:
    return keyring.encrypt(base64.b64encode(data).decode("ascii"), context=context)


def open_bytes(keyring: Keyring, stored: str, context: str) -> bytes:
    return base64.b64decode(keyring.decrypt(stored, context=context))
