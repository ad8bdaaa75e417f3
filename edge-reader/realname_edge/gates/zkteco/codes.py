"""A PUSH device's ``Return`` codes in our words (``realname_codes.gate_protocol`` reasons and photo problems)."""

from __future__ import annotations

from dataclasses import dataclass

from realname_codes.gate_protocol import (
    BAD_PARAMETERS,
    BUSY,
    DEVICE_ERROR,
    DEVICE_FULL,
    NOT_SUPPORTED,
    PHOTO_REJECTED,
    REVOKE,
    TIMEOUT,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """``reason`` None: the device did it. Otherwise why not, and for a photo what is wrong with it."""

    reason: str | None = None
    photo_problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


OK = Outcome()
NOT_ON_DEVICE = "-10"

# The device's own face model refusing the photo (D01E0001…0006).
FACE_PROBLEMS = {"D01E0001": "no_face", "D01E0002": "occluded", "D01E0003": "not_sharp", "D01E0004": "angle",
                 "D01E0005": "liveness", "D01E0006": "modelling_failed"}

CODES = {
    "-1": Outcome(BAD_PARAMETERS),
    # The Size field did not match the photo that arrived: damaged on its way, so another try can succeed.
    "-2": Outcome(DEVICE_ERROR),
    "-3": Outcome(DEVICE_ERROR),  # read/write error
    "-10": Outcome(DEVICE_ERROR),  # the PIN is not on the device: the person did not stick before the face
    "-1001": Outcome(DEVICE_FULL),
    "-1002": Outcome(NOT_SUPPORTED),
    "-1003": Outcome(TIMEOUT),
    "-1005": Outcome(BUSY),
    "-1006": Outcome(PHOTO_REJECTED, "size_out_of_range"),  # data too long: the photo is over the device's limit
}


def outcome_of(code: str, op: str) -> Outcome:
    """What a device's ``Return`` means for a step of ``op``. 0 and above is success (a query returns its count);
    "not on the device" is what a revoke wanted; a code we do not know is a device error, kept in ``detail``."""
    code = code.strip()
    if code.lstrip("-").isdigit() and int(code) >= 0:
        return OK
    if code == NOT_ON_DEVICE and op == REVOKE:
        return OK
    problem = FACE_PROBLEMS.get(code.upper())
    if problem is not None:
        return Outcome(PHOTO_REJECTED, problem)
    return CODES.get(code, Outcome(DEVICE_ERROR))
