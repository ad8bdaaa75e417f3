"""The PUSH protocol's text, read and written: pure functions, no I/O (ZKTeco "iclock", protocol v2.4.x).

Records are lines; fields are ``key=value`` pairs separated by tabs (commands, USERINFO, BIOPHOTO) or bare
tab-separated columns (ATTLOG). Device times are the device's wall clock in its ``TimeZone`` (hours east of UTC).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from realname_codes.gate_protocol import IN, OUT, Punch

ZK_TIME = "%Y-%m-%d %H:%M:%S"
DIRECTION = {"0": IN, "1": OUT}  # ATTLOG status: 0 check-in, 1 check-out; others (breaks, overtime): the gate's own
VERIFIED_BY = {"15": "face", "1": "fingerprint", "0": "password", "2": "card", "4": "card"}
# The handshake's ``language``: 83 is Simplified Chinese, whose firmware reads text as GB2312.
CHINESE_LANGUAGE = "83"


def zone(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


def options_text(serial: str, stamp: int, delay_s: int, timezone_h: float) -> str:
    """The handshake's answer: what the device must send and how often it polls."""
    return "\r\n".join([
        f"GET OPTION FROM: {serial}", f"ATTLOGStamp={stamp}", "OPERLOGStamp=9999", "ATTPHOTOStamp=None",
        "ErrorDelay=30", f"Delay={delay_s}", "TransTimes=00:00;14:05", "TransInterval=1",
        "TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic\tFACE",
        f"TimeZone={timezone_h:g}", "Realtime=1", "Encrypt=None", ""])


def parse_attlog(body: str, serial: str, timezone_h: float) -> tuple[list[Punch], list[str]]:
    """ATTLOG lines → (punches, malformed lines). Columns: PIN, time, status, verify, workcode, reserved…"""
    punches: list[Punch] = []
    bad: list[str] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        columns = line.split("\t")
        pin = columns[0].strip()
        try:
            at = datetime.strptime(columns[1].strip(), ZK_TIME).replace(tzinfo=zone(timezone_h))
        except (IndexError, ValueError):
            bad.append(line)
            continue
        if not pin.isdigit():
            bad.append(line)
            continue
        status = columns[2].strip() if len(columns) > 2 else ""
        verify = columns[3].strip() if len(columns) > 3 else "15"
        iso = at.isoformat()
        punches.append(Punch(device=serial, worker_key=pin, at=iso, event_key=f"{serial}:{pin}:{iso}",
                             direction=DIRECTION.get(status), verified_by=VERIFIED_BY.get(verify, f"verify_{verify}")))
    return punches, bad


def fields(text: str) -> dict[str, str]:
    """``key=value`` pairs separated by tabs (a value may itself hold ``=``, as base64 does)."""
    pairs = (part.split("=", 1) for part in text.split("\t") if "=" in part)
    return {key.strip(): value for key, value in pairs}


@dataclass(frozen=True, slots=True)
class TableRecord:
    """One uploaded USERINFO or BIOPHOTO record (in answer to a query): whose, and for a photo its hash."""

    table: str  # USERINFO | BIOPHOTO
    pin: str
    photo_sha256: str = ""


def parse_records(table: str, body: str) -> list[TableRecord]:
    """USERINFO/BIOPHOTO uploads. Devices send them as ``table=USERINFO`` lines or as ``table=OPERLOG`` lines
    prefixed ``USER `` / ``BIOPHOTO ``; both are read. Other OPERLOG lines (``OPLOG …``) carry nothing we need."""
    records: list[TableRecord] = []
    for line in body.splitlines():
        kind, text = table.upper(), line
        head, _, rest = line.partition(" ")
        if head in ("USER", "USERINFO", "BIOPHOTO"):
            kind, text = ("USERINFO" if head != "BIOPHOTO" else "BIOPHOTO"), rest
        if kind not in ("USERINFO", "BIOPHOTO"):
            continue
        values = fields(text)
        pin = values.get("PIN", "").strip()
        if not pin:
            continue
        digest = ""
        if kind == "BIOPHOTO" and values.get("Type", "9") == "9" and values.get("Content"):
            try:
                digest = hashlib.sha256(base64.b64decode(values["Content"], validate=True)).hexdigest()
            except ValueError:
                continue
        records.append(TableRecord(kind, pin, digest))
    return records


@dataclass(frozen=True, slots=True)
class DeviceReturn:
    """One line of ``/devicecmd``: the device's id of the command, its return code, the command's name."""

    command_id: str
    code: str
    cmd: str


def parse_devicecmd(body: str) -> list[DeviceReturn]:
    """Lines ``ID=<id>&Return=<code>&CMD=<name>``; a line without an ID or Return is skipped."""
    returns: list[DeviceReturn] = []
    for line in body.splitlines():
        values = dict(part.split("=", 1) for part in line.strip().split("&") if "=" in part)
        if values.get("ID") and values.get("Return") is not None:
            returns.append(DeviceReturn(values["ID"].strip(), values["Return"].strip(), values.get("CMD", "")))
    return returns


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """The ``INFO=`` a device adds to its polls: firmware, users, fingerprints, records, IP, fingerprint and face
    algorithm versions, face templates per enrolment, faces, feature flags (counts absent on older firmware)."""

    firmware: str
    people: int | None
    faces: int | None


def parse_info(info: str) -> DeviceInfo | None:
    parts = [p.strip() for p in info.split(",")]
    if not parts or not parts[0]:
        return None

    def count(index: int) -> int | None:
        return int(parts[index]) if len(parts) > index and parts[index].isdigit() else None

    return DeviceInfo(parts[0], count(1), count(8))


def device_time(iso: str | None, timezone_h: float) -> str:
    """An ISO 8601 moment as the device's wall-clock text; None or empty: ``0`` (no limit, as the device reads it)."""
    if not iso:
        return "0"
    return datetime.fromisoformat(iso).astimezone(zone(timezone_h)).strftime(ZK_TIME)


def userinfo_command(pin: str, name: str, valid_from: str | None, valid_until: str | None, timezone_h: float) -> str:
    """Add or edit a person (``DATA UPDATE`` is add-or-edit: one that exists is changed, never refused)."""
    clean = name.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return (f"DATA UPDATE USERINFO PIN={pin}\tName={clean}\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000"
            f"\tVerify=0\tStartDatetime={device_time(valid_from, timezone_h)}"
            f"\tEndDatetime={device_time(valid_until, timezone_h)}")


def biophoto_command(pin: str, photo_b64: str) -> str:
    """The face as a photo (Type 9): the device builds its own template from it, or refuses (D01E000x)."""
    size = len(base64.b64decode(photo_b64))
    return (f"DATA UPDATE BIOPHOTO PIN={pin}\tType=9\tSize={size}\tContent={photo_b64}\tFormat=0\tUrl="
            "\tPostBackTmpFlag=0")


def delete_command(pin: str) -> str:
    return f"DATA DELETE USERINFO PIN={pin}"  # removes the person's face and templates with them


QUERY_PEOPLE, QUERY_FACES = "DATA QUERY USERINFO", "DATA QUERY BIOPHOTO Type=9"


def command_line(command_id: str, text: str) -> str:
    return f"C:{command_id}:{text}"
