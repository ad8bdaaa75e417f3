"""A face photo is checked before it reaches the gates, and made into what they take (gates.md; PIPL)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from realname_attendance.adapters.face_detector import detect_faces
from realname_attendance.faces.image import NormalisedPhoto, normalised_photo
from realname_attendance.rules.face_photo import (
    MAX_UPLOAD_BYTES,
    NATIONAL_MAX_BYTES,
    Box,
    PhotoRefused,
    chosen_quality,
    portrait_frame,
    refuse_exposure,
    the_face,
)
from tests.support import face_photos


def refusal(content: bytes) -> PhotoRefused:
    with pytest.raises(PhotoRefused) as refused:
        normalised_photo(content)
    assert "请" in refused.value.message_zh and refused.value.message  # it tells the clerk what to retake
    return refused.value


def test_a_frontal_portrait_is_taken_as_a_360_by_480_jpeg_under_50_kb() -> None:
    photo = normalised_photo(face_photos.astronaut())
    picture = Image.open(io.BytesIO(photo.jpeg))
    assert (picture.format, picture.size) == ("JPEG", (360, 480))
    assert len(photo.jpeg) <= NATIONAL_MAX_BYTES
    assert photo.measures["face_share"] == pytest.approx(0.075, abs=0.01)


def test_the_face_fills_between_a_third_and_two_thirds_of_the_width_the_gates_get() -> None:
    picture = Image.open(io.BytesIO(normalised_photo(face_photos.astronaut()).jpeg))
    [face] = detect_faces(np.asarray(picture.convert("L")))
    assert 1 / 3 <= face.width / picture.width <= 2 / 3


def test_a_png_is_taken_and_becomes_a_jpeg() -> None:
    assert Image.open(io.BytesIO(normalised_photo(face_photos.as_png()).jpeg)).format == "JPEG"


def test_a_photo_stored_sideways_with_its_exif_orientation_is_stood_up_first() -> None:
    assert normalised_photo(face_photos.exif_rotated()).measures["face_share"] > 0.05


def test_no_metadata_reaches_the_gates() -> None:
    jpeg = normalised_photo(face_photos.with_gps_and_comment()).jpeg
    picture = Image.open(io.BytesIO(jpeg))
    assert not picture.getexif() and "exif" not in picture.info and "comment" not in picture.info
    assert b"PhoneMaker" not in jpeg and b"secret comment" not in jpeg


def test_the_same_photo_always_gives_the_same_bytes_so_a_retry_is_recognised() -> None:
    assert normalised_photo(face_photos.astronaut()).jpeg == normalised_photo(face_photos.astronaut()).jpeg


def test_the_photo_never_shows_in_its_representation() -> None:
    photo = normalised_photo(face_photos.astronaut())
    assert "bytes" in repr(photo) and "\\x" not in repr(photo) and isinstance(photo, NormalisedPhoto)


@pytest.mark.parametrize(("make", "reason"), [
    (face_photos.cat, "face_not_found"),
    (face_photos.two_faces, "face_several"),
    (face_photos.face_too_small, "face_too_small"),
    (face_photos.darkened, "photo_too_dark"),
    (face_photos.brightened, "photo_too_bright"),
    (face_photos.blurred, "photo_blurred"),
    (face_photos.truncated, "photo_unreadable"),
])
def test_a_photo_that_would_fail_on_the_gates_is_refused_saying_what_to_retake(make: object, reason: str) -> None:
    assert callable(make)
    assert refusal(make()).reason == reason


def test_a_file_that_is_no_picture_is_refused_as_not_jpeg_or_png() -> None:
    assert refusal(b"%PDF-1.4 not a photo at all").reason == "photo_not_jpeg_or_png"
    assert refusal(face_photos.encoded(face_photos.astronaut_picture(), "GIF")).reason == "photo_not_jpeg_or_png"


@pytest.mark.parametrize("side", [7_000, 20_000])
def test_a_png_claiming_too_many_pixels_is_refused_before_it_is_decoded(side: int) -> None:
    bomb = face_photos.png_bomb(side)
    assert len(bomb) < 1_000_000
    assert refusal(bomb).reason == "photo_too_many_pixels"


def test_an_empty_or_oversized_upload_is_refused_unread() -> None:
    assert refusal(b"").reason == "photo_empty"
    too_large = refusal(b"\xff\xd8" + bytes(MAX_UPLOAD_BYTES))
    assert (too_large.reason, too_large.status) == ("photo_too_large", 413)


# --- the rules alone ------------------------------------------------------------------------------------------


def test_one_face_of_at_least_5_percent_of_the_picture_is_the_face() -> None:
    face = Box(100, 100, 60, 60)  # 3,600 of 60,000 pixels: 6 %
    assert the_face(200, 300, [face]) == face
    with pytest.raises(PhotoRefused, match="face_too_small"):
        the_face(200, 300, [Box(100, 100, 50, 50)])  # 2,500: 4.2 %
    with pytest.raises(PhotoRefused, match="face_several"):
        the_face(200, 300, [face, Box(0, 0, 60, 60)])
    with pytest.raises(PhotoRefused, match="face_not_found"):
        the_face(200, 300, [])


def test_lighting_is_judged_before_sharpness_since_a_dark_face_also_measures_soft() -> None:
    with pytest.raises(PhotoRefused, match="photo_too_dark"):
        refuse_exposure(40.0, 1.0)
    with pytest.raises(PhotoRefused, match="photo_too_bright"):
        refuse_exposure(230.0, 1.0)
    with pytest.raises(PhotoRefused, match="photo_blurred"):
        refuse_exposure(150.0, 2.0)
    refuse_exposure(150.0, 15.0)


def test_the_frame_is_three_by_four_with_the_face_half_its_width_and_may_reach_past_the_picture() -> None:
    frame = portrait_frame(Box(10, 5, 100, 100))
    assert (frame.width, frame.height) == (200, 267)
    assert frame.x == -40 and frame.y < 0  # padded from the picture's edges


def test_quality_steps_down_to_the_national_50_kb_while_it_stays_good_else_the_best_under_100_kb() -> None:
    kb = 1024
    assert chosen_quality(lambda q: 30 * kb) == 90
    assert chosen_quality(lambda q: {90: 60 * kb, 85: 55 * kb}.get(q, 49 * kb)) == 80
    assert chosen_quality(lambda q: (q + 20) * kb) == 80  # 100 KB at 80, the best under 100 KB; 50 KB only at 30
    assert chosen_quality(lambda q: (q + 5) * kb) == 90  # 95 KB at 90; 50 KB would need quality 45
    assert chosen_quality(lambda q: 150 * kb) is None
