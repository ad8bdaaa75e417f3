"""Finding faces in a picture: OpenCV's Haar cascade for frontal faces, shipped in the wheel (``cv2.data``).

Loaded once per process; nothing is downloaded. A cascade is not thread-safe, so calls take a lock (a detection on
a normal photo takes milliseconds).
"""

from __future__ import annotations

import threading
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt

from realname_attendance.rules.face_photo import Box

CASCADE = "haarcascade_frontalface_default.xml"
# Detection parameters: 5 neighbours keeps a patterned shirt from counting as a second face; a face under 1/20 of
# the shorter side is no usable gate photo (and would be refused as too small anyway).
MIN_NEIGHBOURS = 5
SCALE_FACTOR = 1.1
MIN_FACE_FRACTION = 0.05
# Detection runs on the picture scaled to at most this side: the cascade sees false faces in the texture of a
# 12-megapixel photo, and takes a second on it; a face of 5 % of 640 pixels is still 32 pixels wide.
DETECTION_SIDE = 640
_LOCK = threading.Lock()


@cache
def _cascade() -> cv2.CascadeClassifier:
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADE)  # type: ignore[attr-defined]
    if classifier.empty():
        raise RuntimeError(f"the face detector {CASCADE} could not be loaded from opencv's data")
    return classifier


def detect_faces(gray: npt.NDArray[np.uint8]) -> list[Box]:
    """The frontal faces in a greyscale picture, as boxes."""
    scale = min(1.0, DETECTION_SIDE / max(gray.shape[:2]))
    small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    side = max(24, int(min(small.shape[:2]) * MIN_FACE_FRACTION))
    with _LOCK:
        found = _cascade().detectMultiScale(small, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBOURS,
                                            minSize=(side, side))
    return [Box(round(x / scale), round(y / scale), round(w / scale), round(h / scale)) for x, y, w, h in found]
