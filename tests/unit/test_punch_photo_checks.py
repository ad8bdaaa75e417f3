"""A punch's photo is kept only when it is a JPEG of at most 200 KB; anything else is dropped, saying why."""

from __future__ import annotations

import base64

from realname_attendance.rules.punch_photo import (
    MAX_PHOTO_BYTES,
    PHOTO_NOT_BASE64,
    PHOTO_NOT_JPEG,
    PHOTO_TOO_LARGE,
    punch_photo,
)

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1000 + b"\xff\xd9"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_small_jpeg_is_kept_as_its_bytes() -> None:
    assert punch_photo(b64(JPEG)).jpeg == JPEG
    assert punch_photo(b64(JPEG)).problem is None


def test_a_jpeg_of_exactly_the_limit_is_kept_and_one_byte_more_is_too_large() -> None:
    at_limit = JPEG[:3] + b"\x00" * (MAX_PHOTO_BYTES - 3)
    assert punch_photo(b64(at_limit)).jpeg == at_limit
    assert punch_photo(b64(at_limit + b"\x00")).problem == PHOTO_TOO_LARGE


def test_a_huge_string_is_too_large_without_being_decoded() -> None:
    assert punch_photo("A" * (10 * MAX_PHOTO_BYTES)).problem == PHOTO_TOO_LARGE


def test_a_png_or_text_is_not_a_jpeg() -> None:
    assert punch_photo(b64(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)).problem == PHOTO_NOT_JPEG
    assert punch_photo(b64(b"hello")).problem == PHOTO_NOT_JPEG
    assert punch_photo("").problem == PHOTO_NOT_JPEG


def test_what_is_not_base64_is_said_so() -> None:
    assert punch_photo("not base64 at all!").problem == PHOTO_NOT_BASE64
    assert punch_photo(b64(JPEG)[:-1]).problem == PHOTO_NOT_BASE64
