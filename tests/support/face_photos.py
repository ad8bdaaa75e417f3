"""Face photos for tests, made at test time from ``tests/support/faces/astronaut.jpg`` (one frontal face, ~7 %)."""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

FACES = Path(__file__).parent / "faces"


def astronaut_picture() -> Image.Image:
    with Image.open(FACES / "astronaut.jpg") as picture:
        return picture.convert("RGB")


def encoded(picture: Image.Image, image_format: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, image_format, **options)
    return out.getvalue()


def astronaut() -> bytes:
    return (FACES / "astronaut.jpg").read_bytes()


def cat() -> bytes:
    return (FACES / "cat.jpg").read_bytes()


def as_png() -> bytes:
    return encoded(astronaut_picture(), "PNG")


def two_faces() -> bytes:
    one = astronaut_picture()
    both = Image.new("RGB", (one.width * 2, one.height))
    both.paste(one, (0, 0))
    both.paste(one, (one.width, 0))
    return encoded(both)


def darkened() -> bytes:
    return encoded(ImageEnhance.Brightness(astronaut_picture()).enhance(0.3))


def brightened() -> bytes:
    return encoded(ImageEnhance.Brightness(astronaut_picture()).enhance(1.5))


def blurred() -> bytes:
    return encoded(astronaut_picture().filter(ImageFilter.GaussianBlur(2)))


def face_too_small() -> bytes:
    """The astronaut in the middle of a grey picture three times as wide and high: the face is under 1 %."""
    one = astronaut_picture()
    padded = Image.new("RGB", (one.width * 3, one.height * 3), (128, 128, 128))
    padded.paste(one, (one.width, one.height))
    return encoded(padded)


def exif_rotated() -> bytes:
    """Stored lying on its side, as phones do, with the EXIF orientation (6: turn 90° clockwise) to stand it up."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(astronaut_picture().rotate(90, expand=True), exif=exif.tobytes())


def with_gps_and_comment() -> bytes:
    """A camera's metadata that must not reach the gates: a GPS position and a comment."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x9286] = "secret comment"
    exif.get_ifd(0x8825)[2] = (31.0, 14.0, 0.0)
    return encoded(astronaut_picture(), exif=exif.tobytes(), comment=b"kept?")


def truncated() -> bytes:
    whole = astronaut()
    return whole[: len(whole) // 2]


def png_bomb(side: int = 20_000) -> bytes:
    """A valid PNG of side × side black pixels, a few hundred kilobytes compressed, gigabytes decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit per pixel, greyscale
    data = zlib.compress(bytes((1 + (side + 7) // 8) * side), 9)  # each row: filter 0, then zero bits
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


# --- many workers' photos (gate tests): the one portrait, different in its bytes for each worker -----------------

NOISE = 3  # levels of 255: invisible to the detector, and enough that no two variants encode alike


@cache
def _portrait_pixels(scale: float) -> np.ndarray:
    picture = astronaut_picture()
    if scale != 1:
        size = (round(picture.width * scale), round(picture.height * scale))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(picture, dtype=np.int16)


def face_photo(seed: int, scale: float = 1.0) -> bytes:
    """The astronaut with faint noise of ``seed``'s own (±3 levels a pixel): the detector still finds the one face,
    and the platform's normalised JPEG differs in its bytes (and hash) per worker, as real workers' photos do.
    ``scale`` < 1 makes a smaller picture (the face the same share of it): the platform's detector costs ~4 times
    less CPU on one of half the width, which is what lets a test upload hundreds of photos on two cores."""
    pixels = _portrait_pixels(scale)
    noise = np.random.default_rng(seed).integers(-NOISE, NOISE + 1, pixels.shape)
    return encoded(Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)), quality=92)
