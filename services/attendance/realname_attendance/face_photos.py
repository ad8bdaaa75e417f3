"""A face photo sealed at rest (``faces.photo_sealed``) and opened only to send it to a gate.

Biometric (PIPL art. 28): the opened bytes go into a command to the gate and nowhere else, never a log line. The
one place that knows the column and its sealing context: the faces part owns how a photo is stored.
"""

from __future__ import annotations

from realname_attendance.models import Face
from realname_kit.privacy.blobs import open_bytes, seal_bytes
from realname_kit.privacy.keyring import Keyring

FACE_CONTEXT = "attendance.faces.photo"


def store_photo(keyring: Keyring, face: Face, jpeg: bytes) -> None:
    face.photo_sealed = seal_bytes(keyring, jpeg, FACE_CONTEXT).encode("ascii")


def photo_of(keyring: Keyring, face: Face) -> bytes:
    return open_bytes(keyring, face.photo_sealed.decode("ascii"), FACE_CONTEXT)
