"""Face photos for tests that need many workers' faces: the one test portrait, made different for each worker.

Each variant is ``tests/support/faces/astronaut.jpg`` with faint noise of its own seed (±3 levels a pixel): the
detector still finds the one face, and the platform's normalised JPEG differs in its bytes (and hash) per worker,
as real workers' photos do. Made when the test runs, never stored. ``scale`` < 1 makes a smaller picture (the same
share of it a face): the platform's detector costs ~4 times less CPU on one of half the width, which is what lets a
test upload hundreds on two cores.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

PORTRAIT = Path(__file__).resolve().parent / "faces" / "astronaut.jpg"
NOISE = 3  # levels of 255: invisible, and enough that no two variants encode alike


@cache
def _pixels(scale: float) -> np.ndarray:
    with Image.open(PORTRAIT) as image:
        picture = image.convert("RGB")
        if scale != 1:
            picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.LANCZOS)
        return np.asarray(picture, dtype=np.int16)


def face_photo(seed: int, scale: float = 1.0) -> bytes:
    """A JPEG of the test portrait, different in its bytes for every ``seed``."""
    rng = np.random.default_rng(seed)
    pixels = _pixels(scale)
    noisy = np.clip(pixels + rng.integers(-NOISE, NOISE + 1, pixels.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "JPEG", quality=92)
    return out.getvalue()
