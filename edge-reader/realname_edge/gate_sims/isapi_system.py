"""The simulated terminal's system pages: deviceInfo, its clock, the listening host, and the event memory search."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from werkzeug.wrappers import Request, Response

from realname_edge.gate_sims.device import Recognition
from realname_edge.gate_sims.isapi_state import TerminalState
from realname_edge.gate_sims.isapi_wire import answer, local_time, parse_time, refusal, xml

NS = "http://www.isapi.org/ver20/XMLSchema"
MAX_EVENT_RESULTS = 30
FACE_PASSED = (5, 75)  # majorEventType 5 (event), subEventType 75: face authentication passed


def device_info(state: TerminalState) -> Response:
    d = state.device
    return xml(f'<DeviceInfo version="2.0" xmlns="{NS}"><deviceName>{d.serial}</deviceName>'
               f"<deviceID>{d.serial}</deviceID><model>{d.model}</model><serialNumber>{d.serial}</serialNumber>"
               f"<macAddress>44:19:b6:00:00:01</macAddress><firmwareVersion>{d.firmware}</firmwareVersion>"
               f"<firmwareReleasedDate>build 230101</firmwareReleasedDate><deviceType>ACS</deviceType></DeviceInfo>")


def get_time(state: TerminalState) -> Response:
    return xml(f'<Time version="2.0" xmlns="{NS}"><timeMode>manual</timeMode>'
               f"<localTime>{local_time(state.device.now())}</localTime><timeZone>CST-8:00:00</timeZone></Time>")


def _text(body: bytes, tag: str) -> str | None:
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - the simulator parses what a test's driver sends
    except ElementTree.ParseError:
        return None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == tag:
            return (element.text or "").strip()
    return None


def put_time(state: TerminalState, request: Request) -> Response:
    text = _text(request.get_data(), "localTime")
    try:
        state.device.set_time(parse_time(text or ""))
    except ValueError:
        return refusal("bad_parameters", request.path, "localTime")
    return xml(f'<ResponseStatus version="2.0" xmlns="{NS}"><requestURL>{request.path}</requestURL>'
               "<statusCode>1</statusCode><statusString>OK</statusString><subStatusCode>ok</subStatusCode>"
               "</ResponseStatus>")


def get_host(state: TerminalState, host_id: str) -> Response:
    h = state.host
    return xml(f'<HttpHostNotification version="2.0" xmlns="{NS}"><id>{host_id}</id><url>{h.url}</url>'
               "<protocolType>HTTP</protocolType><parameterFormatType>JSON</parameterFormatType>"
               f"<addressingFormatType>ipaddress</addressingFormatType><ipAddress>{h.ip_address}</ipAddress>"
               f"<portNo>{h.port_no}</portNo><httpAuthenticationMethod>none</httpAuthenticationMethod>"
               "</HttpHostNotification>")


def put_host(state: TerminalState, request: Request, host_id: str) -> Response:
    body = request.get_data()
    url, ip, port = _text(body, "url"), _text(body, "ipAddress"), _text(body, "portNo")
    if url is None or not ip or not (port or "").isdigit():
        return refusal("bad_parameters", request.path, "url, ipAddress, portNo")
    state.host.id, state.host.url, state.host.ip_address, state.host.port_no = host_id, url, ip, int(port or 0)
    return xml(f'<ResponseStatus version="2.0" xmlns="{NS}"><requestURL>{request.path}</requestURL>'
               "<statusCode>1</statusCode><statusString>OK</statusString><subStatusCode>ok</subStatusCode>"
               "</ResponseStatus>")


def host_url(target: str) -> tuple[str, int, str]:
    """``http://host:port/path`` → (ipAddress, portNo, url) as httpHosts holds it."""
    parts = urlsplit(target)
    return parts.hostname or "", parts.port or 80, parts.path or "/"


def event_fields(event: Recognition, attendance_status: str) -> dict[str, Any]:
    """An event as both the listening-host post and the AcsEvent search word it."""
    return {"major": FACE_PASSED[0], "minor": FACE_PASSED[1], "majorEventType": FACE_PASSED[0],
            "subEventType": FACE_PASSED[1], "time": local_time(event.at), "employeeNoString": event.key,
            "serialNo": event.serial_no, "currentVerifyMode": event.verified_by, "attendanceStatus": attendance_status,
            "label": "", "statusValue": 0, "userType": "normal", "mask": "unknown"}


def search_events(state: TerminalState, request: Request, attendance_status: str) -> Response:
    body = request.get_json(force=True, silent=True) or {}
    cond = body.get("AcsEventCond") if isinstance(body, dict) else None
    if not isinstance(cond, dict):
        return refusal("bad_parameters", request.path, "AcsEventCond")
    try:
        start, end = parse_time(str(cond["startTime"])), parse_time(str(cond["endTime"]))
    except (KeyError, ValueError):
        return refusal("bad_parameters", request.path, "startTime, endTime")
    major, minor = int(cond.get("major", 0)), int(cond.get("minor", 0))
    if (major and major != FACE_PASSED[0]) or (minor and minor != FACE_PASSED[1]):
        matching: list[Recognition] = []
    else:
        matching = [e for e in list(state.device.events) if start <= e.at.replace(microsecond=0) <= end]  # whole s
    position = int(cond.get("searchResultPosition", 0))
    page = matching[position:position + min(int(cond.get("maxResults", MAX_EVENT_RESULTS)), MAX_EVENT_RESULTS)]
    status = "NO MATCH" if not page else "MORE" if position + len(page) < len(matching) else "OK"
    return answer({"AcsEvent": {"searchID": cond.get("searchID", ""), "responseStatusStrg": status,
                                "numOfMatches": len(page), "totalMatches": len(matching),
                                "InfoList": [event_fields(e, attendance_status) for e in page]}})
