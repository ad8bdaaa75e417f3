"""How an ISAPI answer reads in the platform's words (pure: no I/O; unit-tested).

A terminal answers every call with ``statusCode`` (1 = OK), ``statusString``, ``subStatusCode``, ``errorCode``
and ``errorMsg``; the words in ``subStatusCode`` say what went wrong. The device's own words always travel on,
in ``Verdict.detail`` (the Ack's ``detail``), so a person can look them up in Hikvision's documentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realname_codes import gate_protocol as gp

OK, EXISTS, ABSENT, FAILED = "ok", "exists", "absent", "failed"

_EXISTS = frozenset({"employeeNoAlreadyExist", "deviceUserAlreadyExist", "faceAlreadyExist", "FPIDAlreadyExist"})
_ABSENT = frozenset({"employeeNoNotExist", "deviceUserNotExist", "userNotExist", "FPIDNotExist"})
# The terminal's words for a photo its face model will not take → our photo_problem.
PHOTO_WORDS: dict[str, str] = {
    "noFaceDetected": "no_face", "noFaceInPicture": "no_face", "faceNotDetected": "no_face",
    "multipleFacesInPicture": "several_faces", "multiFaces": "several_faces",
    "faceOccluded": "occluded", "faceBlurred": "not_sharp", "pictureNotClear": "not_sharp",
    "faceAngleTooLarge": "angle", "faceAngleError": "angle",
    "faceModelingFailed": "modelling_failed", "modelingFailed": "modelling_failed", "modelFailed": "modelling_failed",
    "lowQualityPicture": "quality_low", "faceQualityTooLow": "quality_low",
    "pictureSizeOutOfRange": "size_out_of_range", "pictureTooLarge": "size_out_of_range",
    "pictureSizeError": "size_out_of_range", "invalidFaceData": "format", "pictureFormatError": "format",
}
_FULL = frozenset({"faceLibraryFull", "userLibraryFull", "FDLibFull", "libraryFull", "noMemory", "userNumOverLimit"})
_CREDENTIALS = "credentials refused (HTTP 401): check the gate's user name and password in the bridge's file"


@dataclass(frozen=True, slots=True)
class Verdict:
    """``kind``: ok, exists (counts as done where adding), absent (counts as done where removing), failed."""

    kind: str
    reason: str | None = None
    photo_problem: str | None = None
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.kind == FAILED


def words(body: Mapping[str, Any] | None) -> str:
    """The device's own words of an answer, for ``detail``: ``statusCode statusString/subStatusCode errorCode``."""
    if not body:
        return ""
    code = body.get("errorCode")
    hex_code = f" 0x{code:08x}" if isinstance(code, int) and code else ""
    return f"{body.get('statusCode')} {body.get('statusString', '')}/{body.get('subStatusCode', '')}{hex_code}"


def judge(http_status: int, body: Mapping[str, Any] | None) -> Verdict:
    if http_status == 401:
        return Verdict(FAILED, gp.DEVICE_ERROR, detail=_CREDENTIALS)
    said = words(body)
    status = body.get("statusCode") if body else None
    sub = str(body.get("subStatusCode") or "") if body else ""
    if http_status == 200 and status in (1, None) and sub in ("", "ok"):
        return Verdict(OK, detail=said)
    if sub in _EXISTS:
        return Verdict(EXISTS, detail=said)
    if sub in _ABSENT:
        return Verdict(ABSENT, detail=said)
    return Verdict(FAILED, *_failure(status, sub, http_status), detail=said or f"HTTP {http_status}")


def _failure(status: Any, sub: str, http_status: int) -> tuple[str, str | None]:
    if sub in PHOTO_WORDS:
        return gp.PHOTO_REJECTED, PHOTO_WORDS[sub]
    if sub in _FULL or sub.endswith("Full"):
        return gp.DEVICE_FULL, None
    if sub == "notSupport" or (status == 4 and not sub) or http_status == 404:
        return gp.NOT_SUPPORTED, None
    if sub.startswith("badParameter") or status == 5:
        return gp.BAD_PARAMETERS, None
    if status == 2 or sub in ("deviceBusy", "busy"):
        return gp.BUSY, None
    return gp.DEVICE_ERROR, None
