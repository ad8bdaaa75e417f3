"""A punch's photo as a gate sends it (base64 JPEG): kept only when it is one, and small (PIPL art. 6: no more
than needed). A photo that is not is dropped; the punch is kept all the same (R27: nothing dropped silently)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

MAX_PHOTO_BYTES = 200 * 1024  # decoded; a gate's capture is 20-80 KB
_MAX_BASE64 = 4 * ((MAX_PHOTO_BYTES + 2) // 3)
JPEG_MAGIC = b"\xff\xd8\xff"

PHOTO_NOT_BASE64, PHOTO_TOO_LARGE, PHOTO_NOT_JPEG = "photo_not_base64", "photo_too_large", "photo_not_jpeg"
PHOTO_PROBLEMS = (PHOTO_NOT_BASE64, PHOTO_TOO_LARGE, PHOTO_NOT_JPEG)


@dataclass(frozen=True, slots=True)
class PunchPhoto:
    """The photo's bytes, or why it is not kept."""

    jpeg: bytes | None = None
    problem: str | None = None


def punch_photo(photo_b64: str) -> PunchPhoto:
    if len(photo_b64) > _MAX_BASE64 + 8:  # refused before decoding: a huge string costs nothing more
        return PunchPhoto(problem=PHOTO_TOO_LARGE)
    try:
        jpeg = base64.b64decode(photo_b64, validate=True)
    except (binascii.Error, ValueError):
        return PunchPhoto(problem=PHOTO_NOT_BASE64)
    if len(jpeg) > MAX_PHOTO_BYTES:
        return PunchPhoto(problem=PHOTO_TOO_LARGE)
    if not jpeg.startswith(JPEG_MAGIC):
        return PunchPhoto(problem=PHOTO_NOT_JPEG)
    return PunchPhoto(jpeg=jpeg)
