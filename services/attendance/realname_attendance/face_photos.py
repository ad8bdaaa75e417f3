"""A face photo sealed at rest (``faces.photo_sealed``) and opened only to send it to a gate.

Biometric (PIPL art. 28): the opened bytes go into a command to the gate and nowhere else, never a log line.
"""

from __future__ import annotations

from realname_kit.privacy.blobs import open_bytes, seal_bytes
from realname_kit.privacy.keyring import Keyring

FACE_CONTEXT = "attendance.faces.photo"


def seal_face(keyring: Keyring, jpeg: bytes) -> bytes:
    return seal_bytes(keyring, jpeg, FACE_CONTEXT).encode("ascii")


def open_face(keyring: Keyring, sealed: bytes) -> bytes:
    return open_bytes(keyring, sealed.decode("ascii"), FACE_CONTEXT)
