"""A face photo as uploaded, checked (``rules.face_photo``) and made into what the gates take: a 360×480 JPEG
around the face, under 50 KB (or 100 KB, see ``rules.face_photo``), without any metadata (no EXIF, no GPS)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from realname_attendance.adapters.face_detector import detect_faces
from realname_attendance.rules.face_photo import (
    OUTPUT_HEIGHT,
    OUTPUT_WIDTH,
    SHARPNESS_SIDE,
    Box,
    PhotoRefused,
    chosen_quality,
    not_jpeg_or_png,
    portrait_frame,
    refuse_exposure,
    refuse_picture,
    refuse_unfit_jpeg,
    refuse_upload,
    the_face,
    too_many_pixels,
    unreadable,
)

RGB = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class NormalisedPhoto:
    jpeg: bytes
    width: int
    height: int
    measures: dict[str, Any]

    def __repr__(self) -> str:  # biometric: never the bytes in a log or a traceback
        return f"NormalisedPhoto({self.width}x{self.height}, {len(self.jpeg)} bytes)"


def normalised_photo(content: bytes) -> NormalisedPhoto:
    """The photo the gates get, or PhotoRefused saying what to retake."""
    refuse_upload(len(content))
    picture = _decoded(content)
    gray = np.asarray(picture.convert("L"))
    height, width = gray.shape
    face = the_face(width, height, detect_faces(gray))
    region = gray[face.y:face.y + face.height, face.x:face.x + face.width]
    luminance, sharpness = float(region.mean()), _sharpness(region)
    refuse_exposure(luminance, sharpness)
    jpeg, quality = _jpeg(_framed(np.asarray(picture), portrait_frame(face)))
    return NormalisedPhoto(jpeg, OUTPUT_WIDTH, OUTPUT_HEIGHT, {
        "face_share": round(face.area / (width * height), 3), "luminance": round(luminance, 1),
        "sharpness": round(sharpness, 1), "jpeg_quality": quality, "source_width": width, "source_height": height})


def _decoded(content: bytes) -> Image.Image:
    """Decoded upright in RGB; its header is judged before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(content))
            refuse_picture(picture.format, *picture.size)
            picture.load()
            upright = ImageOps.exif_transpose(picture)  # phones store portraits sideways, with a tag
    except UnidentifiedImageError as exc:
        raise not_jpeg_or_png() from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels() from exc  # Pillow's own guard, met in Image.open by a header past 89 M pixels
    except PhotoRefused:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise unreadable() from exc
    if upright.mode in ("RGBA", "LA", "P", "PA"):
        upright = upright.convert("RGBA")
        background = Image.new("RGBA", upright.size, (255, 255, 255, 255))
        upright = Image.alpha_composite(background, upright)  # a transparent background reads white
    return upright.convert("RGB")


def _sharpness(region: npt.NDArray[np.uint8]) -> float:
    """Laplacian variance per cent of the region's variance, at a fixed size (see ``rules.face_photo``)."""
    scaled = cv2.resize(region, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA).astype(np.float64)
    spread = float(scaled.var())
    if spread < 1.0:
        return 0.0  # a flat patch: nothing in focus
    return 100.0 * float(cv2.Laplacian(scaled, cv2.CV_64F).var()) / spread


def _framed(rgb: RGB, frame: Box) -> Image.Image:
    """The frame cut out, its parts beyond the picture filled with the picture's edge, scaled to the output."""
    height, width = rgb.shape[:2]
    top, left = max(frame.y, 0), max(frame.x, 0)
    bottom, right = min(frame.y + frame.height, height), min(frame.x + frame.width, width)
    pad = ((top - frame.y, frame.y + frame.height - bottom), (left - frame.x, frame.x + frame.width - right), (0, 0))
    cut = np.pad(rgb[top:bottom, left:right], pad, mode="edge")  # the cut only: a big picture is not copied
    return Image.fromarray(np.ascontiguousarray(cut)).resize((OUTPUT_WIDTH, OUTPUT_HEIGHT),
                                                             Image.Resampling.LANCZOS)


def _jpeg(picture: Image.Image) -> tuple[bytes, int]:
    """Encoded at the quality the rules choose; a fresh image carries no metadata, and none is passed to save."""
    encoded: dict[int, bytes] = {}

    def size_at(quality: int) -> int:
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, optimize=True)
        encoded[quality] = out.getvalue()
        return len(encoded[quality])

    quality = chosen_quality(size_at)
    if quality is None:
        raise refuse_unfit_jpeg()
    return encoded[quality], quality
