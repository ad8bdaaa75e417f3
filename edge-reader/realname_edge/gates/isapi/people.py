"""Putting a worker on a terminal and taking them off: the enrol and revoke commands (R26)."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from realname_codes import gate_protocol as gp
from realname_edge.gates.isapi import bodies
from realname_edge.gates.isapi.answers import ABSENT, EXISTS, FAILED, OK, Verdict, judge
from realname_edge.gates.isapi.client import IsapiClient

AC, FD = "/ISAPI/AccessControl", "/ISAPI/Intelligent/FDLib"


def _judged(client: IsapiClient, method: str, path: str, **kwargs: Any) -> Verdict:
    answer = client.call(method, path, **kwargs)
    return judge(answer.status, answer.body)


def put_person(client: IsapiClient, command: gp.Command, door_no: int) -> Verdict:
    """Add or edit the person; on a firmware without SetUp: Record, and Modify when it already exists."""
    body = bodies.user_info(str(command.worker_key), command.name or "", command.valid_from, command.valid_until,
                            door_no)
    verdict = _judged(client, "PUT", f"{AC}/UserInfo/SetUp", json=body)
    if verdict.reason != gp.NOT_SUPPORTED:
        return verdict
    verdict = _judged(client, "POST", f"{AC}/UserInfo/Record", json=body)
    if verdict.kind == EXISTS:  # "already exists" counts as done, once the details are brought up to date
        verdict = _judged(client, "PUT", f"{AC}/UserInfo/Modify", json=body)
    return verdict


def put_face(client: IsapiClient, key: str, photo: bytes, fdid: str) -> Verdict:
    """Add or replace the face (the person exists by now): FDSetUp, or FaceDataRecord where it is missing."""
    params = {"FDID": fdid, "faceLibType": "blackFD"}
    verdict = _judged(client, "PUT", f"{FD}/FDSetUp", files=bodies.face_parts(key, photo, fdid))
    if verdict.reason != gp.NOT_SUPPORTED:
        return verdict
    verdict = _judged(client, "POST", f"{FD}/FaceDataRecord", files=bodies.face_parts(key, photo, fdid))
    if verdict.kind == EXISTS:  # an older face is there: replace it
        _judged(client, "PUT", f"{FD}/FDSearch/Delete", json={"FPID": [{"value": key}]}, params=params)
        verdict = _judged(client, "POST", f"{FD}/FaceDataRecord", files=bodies.face_parts(key, photo, fdid))
    return verdict


def enrol(client: IsapiClient, command: gp.Command, *, door_no: int, fdid: str) -> Verdict:
    """The person first, then the face: a face before its person is refused by every terminal."""
    photo = b""
    if command.face_jpeg:
        try:
            photo = base64.b64decode(command.face_jpeg, validate=True)
        except (binascii.Error, ValueError):
            return Verdict(FAILED, gp.PHOTO_REJECTED, "format", "the photo is not base64")
    verdict = put_person(client, command, door_no)
    if verdict.failed or not photo:
        return verdict
    return put_face(client, str(command.worker_key), photo, fdid)


MAX_DELETE_KEYS = 50  # what one UserInfoDetail/Delete may name


def revoke(client: IsapiClient, keys: list[str], *, wait_s: float, poll_s: float = 0.1) -> Verdict:
    """Delete the people (and their faces; at most ``MAX_DELETE_KEYS`` a call) and wait, bounded, until the device
    says the delete is over."""
    verdict = _judged(client, "PUT", f"{AC}/UserInfoDetail/Delete", json=bodies.delete_people(keys))
    if verdict.failed or verdict.kind == ABSENT:
        return Verdict(OK, detail=verdict.detail) if verdict.kind == ABSENT else verdict
    deadline = time.monotonic() + wait_s
    while True:
        answer = client.call("GET", f"{AC}/UserInfoDetail/DeleteProcess")
        process = (answer.body or {}).get("UserInfoDetailDeleteProcess") or {}
        status = process.get("status") if isinstance(process, dict) else None
        if status == "success":
            return Verdict(OK)
        if status == "failed" or answer.status != 200:
            return Verdict(FAILED, gp.DEVICE_ERROR, detail=f"DeleteProcess: {status or answer.status}")
        if time.monotonic() >= deadline:
            return Verdict(FAILED, gp.TIMEOUT, detail=f"DeleteProcess still {status} after {wait_s:g} s")
        time.sleep(poll_s)
