"""One platform command carried out on one terminal, answered with an ``Ack`` (what the worker thread runs)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from realname_codes import gate_protocol as gp
from realname_edge.gates.isapi import bodies, people
from realname_edge.gates.isapi.answers import FAILED, OK, Verdict, judge
from realname_edge.gates.isapi.client import CredentialsRefused, IsapiClient, Unreachable

PAGE = 30  # persons per UserInfo/Search page (the terminals answer at most 30 or so)
MAX_PAGES = 10_000  # bounds a digest even against a device that keeps saying MORE


@dataclass
class FaceHashes:
    """The hash of the face the bridge last put on the device, per worker key; only in memory.

    The device cannot tell which photo it holds, only that it holds one. After a bridge restart this map is
    empty, so a digest answers "" for every face: the platform reads "" as "not the face we want" and enrols
    again, which is harmless (SetUp and FDSetUp replace).
    """

    _hashes: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, key: str, sha256: str) -> None:
        with self._lock:
            self._hashes[key] = sha256

    def forget(self, key: str) -> None:
        with self._lock:
            self._hashes.pop(key, None)

    def get(self, key: str) -> str:
        with self._lock:
            return self._hashes.get(key, "")


@dataclass(frozen=True)
class Settings:
    door_no: int = 1
    fdid: str = "1"
    delete_wait_s: float = 10.0


def carry_out(client: IsapiClient, command: gp.Command, faces: FaceHashes, settings: Settings) -> gp.Ack:
    verdict, listed = _answered(lambda: _run(client, command, faces, settings))
    return _ack(command, verdict, listed)


def carry_out_revokes(client: IsapiClient, commands: list[gp.Command], faces: FaceHashes,
                      settings: Settings) -> list[gp.Ack]:
    """Several revokes in one delete call (R26: leavers leave together), each acknowledged with its outcome."""
    keyed = [c for c in commands if c.worker_key]
    acks = [carry_out(client, c, faces, settings) for c in commands if not c.worker_key]  # refused, one by one
    if keyed:
        keys = list(dict.fromkeys(str(c.worker_key) for c in keyed))
        verdict, _ = _answered(lambda: (people.revoke(client, keys, wait_s=settings.delete_wait_s), []))
        if not verdict.failed:
            for key in keys:
                faces.forget(key)
        acks += [_ack(c, verdict, []) for c in keyed]
    return acks


def _answered(run: Callable[[], tuple[Verdict, list[list[str]]]]) -> tuple[Verdict, list[list[str]]]:
    try:
        return run()
    except Unreachable as exc:
        return Verdict(FAILED, gp.DEVICE_OFFLINE, detail=f"no answer from the device: {exc}"), []
    except CredentialsRefused:
        return judge(401, None), []


def _ack(command: gp.Command, verdict: Verdict, listed: list[list[str]]) -> gp.Ack:
    if verdict.kind != FAILED:
        return gp.Ack(command.command_id, command.device, command.op, gp.DONE, command.sequence,
                      command.worker_key, detail=verdict.detail, people=listed)
    return gp.Ack(command.command_id, command.device, command.op, gp.FAILED, command.sequence, command.worker_key,
                  reason=verdict.reason, photo_problem=verdict.photo_problem, detail=verdict.detail)


def _run(client: IsapiClient, command: gp.Command, faces: FaceHashes,
         settings: Settings) -> tuple[Verdict, list[list[str]]]:
    key = str(command.worker_key or "")
    if command.op in (gp.ENROL, gp.REVOKE) and not key:
        return Verdict(FAILED, gp.BAD_PARAMETERS, detail=f"{command.op} without worker_key"), []
    if command.op == gp.ENROL:
        verdict = people.enrol(client, command, door_no=settings.door_no, fdid=settings.fdid)
        if not verdict.failed and command.face_jpeg:
            faces.put(key, command.face_sha256 or "")
        return verdict, []
    if command.op == gp.REVOKE:
        verdict = people.revoke(client, [key], wait_s=settings.delete_wait_s)
        if not verdict.failed:
            faces.forget(key)
        return verdict, []
    if command.op == gp.DIGEST:
        return digest(client, faces)
    moment = datetime.fromisoformat(command.time) if command.time else datetime.now(UTC)
    answer = client.call("PUT", "/ISAPI/System/time", data=bodies.time_xml(moment), as_json=False)
    return judge(answer.status, answer.body), []  # its answer is XML: the HTTP status says it all


def digest(client: IsapiClient, faces: FaceHashes) -> tuple[Verdict, list[list[str]]]:
    """Every person on the device with the hash of their face: ours when we put it, "" when unknown or none."""
    search_id, listed = str(uuid.uuid4()), dict[str, str]()
    for _ in range(MAX_PAGES):
        answer = client.call("POST", "/ISAPI/AccessControl/UserInfo/Search",
                             json=bodies.search_people(search_id, len(listed), PAGE))
        verdict = judge(answer.status, answer.body)
        found = (answer.body or {}).get("UserInfoSearch")
        if verdict.failed or not isinstance(found, dict):
            return (verdict if verdict.failed else Verdict(FAILED, gp.DEVICE_ERROR, detail="no UserInfoSearch")), []
        users = [u for u in found.get("UserInfo") or [] if isinstance(u, dict) and u.get("employeeNo")]
        for user in users:
            key = str(user["employeeNo"])
            listed[key] = faces.get(key) if int(user.get("numOfFace") or 0) > 0 else ""
        if found.get("responseStatusStrg") != "MORE" or not users:
            return Verdict(OK), [[key, listed[key]] for key in sorted(listed)]
    return Verdict(FAILED, gp.DEVICE_ERROR, detail="UserInfo/Search never ended"), []
