"""The simulated terminal's persons: ``/ISAPI/AccessControl/UserInfo/*`` and the asynchronous UserInfoDetail delete."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.wrappers import Request, Response

from realname_edge.gate_sims.device import DeviceRefusal
from realname_edge.gate_sims.isapi_state import TerminalState
from realname_edge.gate_sims.isapi_wire import answer, ok, refusal

MAX_DELETE_IDS = 50
MAX_SEARCH_RESULTS = 30  # a terminal pages at most this many persons per answer


def _user(request: Request) -> dict[str, Any]:
    body = request.get_json(force=True, silent=True) or {}
    user = body.get("UserInfo") if isinstance(body, dict) else None
    return user if isinstance(user, dict) else {}


def _valid(user: dict[str, Any]) -> tuple[str | None, str | None]:
    valid = user.get("Valid") or {}
    if not valid.get("enable"):
        return None, None
    return valid.get("beginTime"), valid.get("endTime")


def put(state: TerminalState, request: Request, mode: str) -> Response:
    """Record (add only), Modify (edit only) or SetUp (add or edit)."""
    user, url = _user(request), request.path
    key, name = str(user.get("employeeNo") or ""), str(user.get("name") or "")
    if not key or len(key.encode()) > 32:
        return refusal("bad_parameters", url, "employeeNo")
    begin, end = _valid(user)
    try:
        if mode == "Modify" and key not in state.device.listing():
            return refusal("not_exists", url, key)
        state.device.put_person(key, name, begin, end, create_only=mode == "Record")
    except DeviceRefusal as refused:
        return refusal(refused.code, url, refused.detail)
    return ok(url)


def count(state: TerminalState) -> Response:
    listing = state.device.listing()
    faces = sum(1 for sha in listing.values() if sha)
    return answer({"UserInfoCount": {"userNumber": len(listing), "bindFaceUserNumber": faces}})


def capabilities(state: TerminalState) -> Response:
    return answer({"UserInfo": {"maxRecordNum": state.device.people_capacity, "supportFunction": {
        "@opt": "post,delete,put,get,setUp"}, "employeeNo": {"@min": 1, "@max": 32}}})


def search(state: TerminalState, request: Request) -> Response:
    body = request.get_json(force=True, silent=True) or {}
    cond = body.get("UserInfoSearchCond") if isinstance(body, dict) else None
    if not isinstance(cond, dict):
        return refusal("bad_parameters", request.path, "UserInfoSearchCond")
    position, wanted = int(cond.get("searchResultPosition", 0)), int(cond.get("maxResults", MAX_SEARCH_RESULTS))
    with state.device._lock:  # the device core's own lock: a consistent page while others add and remove
        people = sorted(state.device.people.values(), key=lambda p: p.key)
        only = {str(e.get("employeeNo")) for e in cond.get("EmployeeNoList") or [] if isinstance(e, dict)}
        if only:
            people = [p for p in people if p.key in only]
        page = people[position:position + min(wanted, MAX_SEARCH_RESULTS)]
        users = [{"employeeNo": p.key, "name": p.name, "userType": "normal",
                  "Valid": {"enable": bool(p.valid_from or p.valid_until), "beginTime": p.valid_from or "",
                            "endTime": p.valid_until or "", "timeType": "local"},
                  "doorRight": "1", "RightPlan": [{"doorNo": 1, "planTemplateNo": "1"}],
                  "numOfFace": 1 if p.face is not None else 0} for p in page]
    status = "NO MATCH" if not page else "MORE" if position + len(page) < len(people) else "OK"
    result: dict[str, Any] = {"searchID": cond.get("searchID", ""), "responseStatusStrg": status,
                              "numOfMatches": len(page), "totalMatches": len(people)}
    if users:
        result["UserInfo"] = users
    return answer({"UserInfoSearch": result})


def delete(state: TerminalState, request: Request) -> Response:
    """Accepted at once; the persons go after ``delete_delay_s`` while DeleteProcess says "processing"."""
    body = request.get_json(force=True, silent=True) or {}
    detail = body.get("UserInfoDetail") if isinstance(body, dict) else None
    if not isinstance(detail, dict) or detail.get("mode") != "byEmployeeNo":
        return refusal("bad_parameters", request.path, "UserInfoDetail.mode")
    keys = [str(e.get("employeeNo")) for e in detail.get("EmployeeNoList") or [] if isinstance(e, dict)]
    if not keys or len(keys) > MAX_DELETE_IDS:
        return refusal("bad_parameters", request.path, f"1 to {MAX_DELETE_IDS} employeeNo")
    with state.lock:
        state.deleting += 1

    def finish() -> None:
        for key in keys:
            state.device.remove_person(key)
        with state.lock:
            state.deleting -= 1

    timer = threading.Timer(state.delete_delay_s, finish)
    timer.daemon = True
    timer.start()
    return ok(request.path)


def delete_process(state: TerminalState) -> Response:
    with state.lock:
        status = "processing" if state.deleting else "failed" if state.delete_failed else "success"
    return answer({"UserInfoDetailDeleteProcess": {"status": status}})
