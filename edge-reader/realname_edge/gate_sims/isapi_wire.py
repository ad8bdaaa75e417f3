"""How a simulated Hikvision terminal words its answers: the ISAPI status body, its refusals, its clock.

Every JSON answer carries ``statusCode`` (1 = OK), ``statusString``, ``subStatusCode``, ``errorCode`` and
``errorMsg``, as the real terminals do. The simulator's own refusal codes (``device.py``) are rendered here as
the device words them; the driver maps those words back (``realname_edge.gates.isapi.answers``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.wrappers import Response

from realname_edge.gate_sims import device as sim

CHINA = timezone(timedelta(hours=8))  # terminals on Chinese sites keep local time, UTC+8

# statusCode → statusString, as ISAPI names them.
STATUS_STRINGS = {1: "OK", 2: "Device Busy", 3: "Device Error", 4: "Invalid Operation", 5: "Invalid XML Format",
                  6: "Invalid Content", 7: "Reboot Required"}

# The simulator's refusal → (HTTP status, statusCode, subStatusCode, errorCode).
REFUSALS: dict[str, tuple[int, int, str, int]] = {
    "exists": (400, 6, "employeeNoAlreadyExist", 0x60000021),
    "not_exists": (400, 6, "employeeNoNotExist", 0x60000022),
    sim.NO_PERSON: (400, 6, "employeeNoNotExist", 0x60000022),
    sim.FULL_PEOPLE: (400, 6, "userLibraryFull", 0x60000023),
    sim.FULL_FACES: (400, 6, "faceLibraryFull", 0x60000024),
    sim.PHOTO_NO_FACE: (400, 6, "noFaceDetected", 0x60000030),
    sim.PHOTO_NOT_SHARP: (400, 6, "lowQualityPicture", 0x60000031),
    sim.PHOTO_TOO_LARGE: (400, 6, "pictureSizeOutOfRange", 0x60000032),
    sim.PHOTO_MODELLING: (400, 6, "faceModelingFailed", 0x60000033),
    "bad_parameters": (400, 6, "badParameters", 0x60000001),
    "not_support": (403, 4, "notSupport", 0x40000001),
}


def answer(payload: dict[str, Any], http: int = 200) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), http, content_type="application/json; charset=utf-8")


def ok(request_url: str = "", **extra: Any) -> Response:
    body: dict[str, Any] = {"requestURL": request_url, "statusCode": 1, "statusString": "OK",
                            "subStatusCode": "ok", "errorCode": 0, "errorMsg": "ok"}
    body.update(extra)
    return answer(body)


def refusal(code: str, request_url: str = "", detail: str = "") -> Response:
    http, status, sub, error_code = REFUSALS.get(code, (500, 3, "deviceError", 0x30000001))
    return answer({"requestURL": request_url, "statusCode": status, "statusString": STATUS_STRINGS[status],
                   "subStatusCode": sub, "errorCode": error_code, "errorMsg": detail or sub}, http)


def xml(text: str, http: int = 200) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + text, http,
                    content_type="application/xml; charset=UTF-8")


def local_time(moment: datetime) -> str:
    """The device's way of writing a moment: second precision, Beijing offset (``2026-12-05T22:00:00+08:00``)."""
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)
