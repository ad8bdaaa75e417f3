"""What a simulated ZKTeco terminal does with one ``C:<id>:<command>`` line, and the ``Return`` it gives, as the
real firmware does: add-or-edit people, photos judged by the device's own rules (``D01E000x``), -1001 when full,
-10 for a PIN it does not hold, -1002 for what PUSH 2.4 no longer takes (``USER ADD``)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from realname_edge.gate_sims.device import (
    FULL_FACES,
    FULL_PEOPLE,
    NO_PERSON,
    PHOTO_MODELLING,
    PHOTO_NO_FACE,
    PHOTO_NOT_SHARP,
    PHOTO_TOO_LARGE,
    DeviceRefusal,
    SimulatedDevice,
)

RETURN_OF_REFUSAL = {FULL_PEOPLE: "-1001", FULL_FACES: "-1001", NO_PERSON: "-10", PHOTO_NO_FACE: "D01E0001",
                     PHOTO_NOT_SHARP: "D01E0003", PHOTO_MODELLING: "D01E0006", PHOTO_TOO_LARGE: "-1006"}
UNSUPPORTED = "-1002"


@dataclass(frozen=True, slots=True)
class Executed:
    """The return line's parts, and what a query makes the terminal upload first: ``(table, lines)``."""

    command_id: str
    code: str
    cmd: str
    uploads: list[tuple[str, list[str]]] = field(default_factory=list)

    def line(self) -> str:
        return f"ID={self.command_id}&Return={self.code}&CMD={self.cmd}"


def parse_command(line: str) -> tuple[str, str] | None:
    """``C:<id>:<command>`` → (id, command); None for anything else."""
    head, _, rest = line.partition(":")
    command_id, _, text = rest.partition(":")
    return (command_id, text) if head == "C" and command_id and text else None


def _fields(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split("\t") if "=" in part)


def execute(device: SimulatedDevice, command_id: str, text: str) -> Executed:
    words = text.split(" ", 3)
    verb, table = " ".join(words[:2]), words[2] if len(words) > 2 else ""
    values = _fields(words[3]) if len(words) > 3 else {}
    if verb == "DATA UPDATE" and table == "USERINFO":
        return Executed(command_id, _put_person(device, values), "DATA")
    if verb == "DATA UPDATE" and table == "BIOPHOTO":
        return Executed(command_id, _put_face(device, values), "DATA")
    if verb == "DATA DELETE" and table == "USERINFO":
        return Executed(command_id, "0" if device.remove_person(values.get("PIN", "")) else "-10", "DATA")
    if verb == "DATA QUERY" and table in ("USERINFO", "BIOPHOTO"):
        rows = _people(device) if table == "USERINFO" else _photos(device)
        return Executed(command_id, str(len(rows)), "DATA", [(table, rows)])
    return Executed(command_id, UNSUPPORTED, words[0])


def _put_person(device: SimulatedDevice, values: dict[str, str]) -> str:
    pin = values.get("PIN", "")
    if not pin.isdigit():
        return "-1"
    since, until = values.get("StartDatetime", "0"), values.get("EndDatetime", "0")
    try:
        device.put_person(pin, values.get("Name", ""), None if since == "0" else since, None if until == "0" else until)
    except DeviceRefusal as refusal:
        return RETURN_OF_REFUSAL.get(refusal.code, "-3")
    return "0"


def _put_face(device: SimulatedDevice, values: dict[str, str]) -> str:
    if values.get("Type") != "9":
        return UNSUPPORTED
    try:
        photo = base64.b64decode(values.get("Content", ""), validate=True)
    except (binascii.Error, ValueError):
        return "-1"
    if str(len(photo)) != values.get("Size"):
        return "-2"
    try:
        device.put_face(values.get("PIN", ""), photo)
    except DeviceRefusal as refusal:
        return RETURN_OF_REFUSAL.get(refusal.code, "-3")
    return "0"


def _people(device: SimulatedDevice) -> list[str]:
    return [f"PIN={p.key}\tName={p.name}\tPri=0\tGrp=1" for p in list(device.people.values())]


def _photos(device: SimulatedDevice) -> list[str]:
    return [f"PIN={p.key}\tType=9\tSize={len(p.face)}\tContent={base64.b64encode(p.face).decode()}"
            for p in list(device.people.values()) if p.face is not None]
