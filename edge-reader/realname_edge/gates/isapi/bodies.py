"""The bodies the driver sends: ISAPI persons, faces and times, built from the platform's command (pure)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

CHINA = timezone(timedelta(hours=8))  # the terminals keep Beijing local time
NO_END = "2037-12-31T23:59:59"  # the latest endTime the terminals take: "no end"
NO_BEGIN = "2000-01-01T00:00:00"


def device_local(moment: str | datetime | None, default: str) -> str:
    """An ISO 8601 moment (with offset) as the terminal's local time without offset, ``Valid`` style."""
    if moment is None or moment == "":
        return default
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        return when.replace(microsecond=0).isoformat()
    return when.astimezone(CHINA).replace(tzinfo=None, microsecond=0).isoformat()


def device_time(moment: datetime) -> str:
    """A moment as ``PUT /ISAPI/System/time`` takes it: local time with the +08:00 offset."""
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


def user_info(key: str, name: str, valid_from: str | None, valid_until: str | None, door_no: int) -> dict[str, Any]:
    # Valid.endTime carries the end of the worker's right to enter (R26): the gate itself refuses after it.
    return {"UserInfo": {
        "employeeNo": key, "name": name, "userType": "normal",
        "Valid": {"enable": True, "beginTime": device_local(valid_from, NO_BEGIN),
                  "endTime": device_local(valid_until, NO_END), "timeType": "local"},
        "doorRight": str(door_no), "RightPlan": [{"doorNo": door_no, "planTemplateNo": "1"}]}}


def face_parts(key: str, photo: bytes, fdid: str) -> dict[str, Any]:
    """The multipart of FaceDataRecord / FDSetUp: the JSON part, then the JPEG."""
    meta = {"faceLibType": "blackFD", "FDID": fdid, "FPID": key}
    return {"FaceDataRecord": (None, json.dumps(meta), "application/json"),
            "FaceImage": ("face.jpg", photo, "image/jpeg")}


def delete_people(keys: list[str]) -> dict[str, Any]:
    return {"UserInfoDetail": {"mode": "byEmployeeNo", "EmployeeNoList": [{"employeeNo": k} for k in keys]}}


def search_people(search_id: str, position: int, max_results: int) -> dict[str, Any]:
    return {"UserInfoSearchCond": {"searchID": search_id, "searchResultPosition": position,
                                   "maxResults": max_results}}


def time_xml(moment: datetime) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><Time version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">'
            f"<timeMode>manual</timeMode><localTime>{device_time(moment)}</localTime>"
            "<timeZone>CST-8:00:00</timeZone></Time>")


def http_host_xml(host_id: str, ip: str, port: int, path: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<HttpHostNotification version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">'
            f"<id>{host_id}</id><url>{path}</url><protocolType>HTTP</protocolType>"
            "<parameterFormatType>JSON</parameterFormatType><addressingFormatType>ipaddress</addressingFormatType>"
            f"<ipAddress>{ip}</ipAddress><portNo>{port}</portNo>"
            "<httpAuthenticationMethod>none</httpAuthenticationMethod></HttpHostNotification>")
