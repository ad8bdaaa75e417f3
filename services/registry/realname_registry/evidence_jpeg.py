"""A JPEG evidence file must be one JPEG and nothing else: its segments walked, its pixels decoded (bounded).

A polyglot hides another file in a comment or application segment (a PDF reader looks for ``%PDF-`` in the
first kilobyte) or after the end-of-image marker (a ZIP reader reads the end of the file). Images appended
after the first one (HDR gain maps, multi-picture format) are accepted when each is itself a plain JPEG.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image

from realname_registry.evidence_refusals import polyglot, too_many_pixels, unreadable

MAX_PIXELS = 40_000_000  # a phone photo of a page is 12-16 million; this bounds the decoded size (~120 MB)
MAX_IMAGES = 4  # the few a camera appends after the image (gain maps, previews)
_START = b"\xff\xd8"
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and the restart markers carry no length
_METADATA = {0xFE, *range(0xE0, 0xF0)}  # COM and APPn: free-form bytes a payload can hide in
_SCAN = 0xDA
_END = 0xD9
_PADDING = b"\x00\xff\r\n\t "


class _Broken(Exception):
    """The segments do not make a JPEG."""


def check_jpeg(content: bytes, foreign: Iterable[bytes]) -> None:
    """Raise a Problem unless ``content`` is plain JPEG images that decode within ``MAX_PIXELS``."""
    signatures = tuple(foreign)
    try:
        at = _image(content, 0, signatures)
    except _Broken:
        lowered = content.lower()
        raise (polyglot if any(sig in lowered for sig in signatures) else unreadable)("JPEG") from None
    for _ in range(MAX_IMAGES):
        if not content[at:].strip(_PADDING):
            break
        try:
            at = _image(content, at, signatures)
        except _Broken:
            raise polyglot("JPEG") from None  # something that is not an image follows the image
    else:
        raise polyglot("JPEG")  # more appended than a camera writes
    _decode(content)


def _image(content: bytes, at: int, signatures: tuple[bytes, ...]) -> int:
    """The offset after the JPEG image at ``at``; a Problem when its metadata carries another file."""
    if not content.startswith(_START, at):
        raise _Broken
    end, metadata = _segments(content, at + len(_START))
    if any(sig in segment.lower() for segment in metadata for sig in signatures):
        raise polyglot("JPEG")
    return end


def _segments(content: bytes, at: int) -> tuple[int, list[bytes]]:
    """The offset after the end-of-image marker, and the metadata segments on the way."""
    metadata: list[bytes] = []
    end = len(content)
    while at < end:
        if content[at] != 0xFF:
            raise _Broken
        while at < end and content[at] == 0xFF:  # fill bytes before a marker
            at += 1
        if at >= end:
            raise _Broken
        marker = content[at]
        at += 1
        if marker == _END:
            return at, metadata
        if marker in _STANDALONE:
            continue
        length = int.from_bytes(content[at:at + 2], "big")
        if length < 2 or at + length > end:
            raise _Broken
        if marker in _METADATA:
            metadata.append(content[at + 2:at + length])
        at += length
        if marker == _SCAN:
            at = _after_scan(content, at)
    raise _Broken


def _after_scan(content: bytes, at: int) -> int:
    """The offset of the marker ending entropy-coded data (a 0xFF not stuffed with 0x00, not a restart)."""
    while True:
        ff = content.find(b"\xff", at)
        if ff < 0 or ff + 1 >= len(content):
            raise _Broken
        following = content[ff + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at = ff + 2
            continue
        return ff


def _decode(content: bytes) -> None:
    try:
        with Image.open(io.BytesIO(content), formats=["JPEG"]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise too_many_pixels(MAX_PIXELS)
            image.load()  # every pixel: a truncated or corrupt scan fails here
    except Image.DecompressionBombError:
        raise too_many_pixels(MAX_PIXELS) from None
    except (OSError, ValueError, SyntaxError):
        raise unreadable("JPEG") from None
