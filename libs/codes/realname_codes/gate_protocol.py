"""The wire protocol between the platform and its gates (R23, R26, R27): native gates and site bridges.

One module for every party that speaks it: the attendance service (commands out, acknowledgements, reports and
punches in), the site bridge in ``edge-reader`` (which translates to Hikvision ISAPI and ZKTeco PUSH), and the
native-gate simulator. It needs nothing but the standard library, so the edge can use it.

Messages are the platform's envelope as JSON: ``{id, type, version, occurred_at, source, correlation_id, data}``.

* **Into the platform** (a gate or bridge publishes, with publisher confirms, ``user_id`` = its broker account):
  the topic exchange ``<prefix>gates.events`` (the attendance service declares the publisher ``gates``), routing
  key = the message type: ``gate.punched``, ``gate.acknowledged``, ``gate.reported``. The broker lets an account
  write nothing else; the attendance service checks that the device named in ``data`` belongs to the account.
* **Out to a gate**: the direct exchange ``<prefix>gates.commands``, routing key = the target's broker account (a
  native gate's, or a site bridge's for every gate behind it); each target reads only its own classic queue
  ``<prefix>gates.commands.<account>`` (message priorities: a revoke overtakes queued enrols, R26).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

VERSION = 1

# Types (= routing keys into the platform).
PUNCHED, ACKNOWLEDGED, REPORTED = "gate.punched", "gate.acknowledged", "gate.reported"
INBOUND_TYPES = (PUNCHED, ACKNOWLEDGED, REPORTED)
COMMAND = "gate.command"

# Command operations.
ENROL, REVOKE, DIGEST, SET_TIME = "enrol", "revoke", "digest", "set_time"
OPERATIONS = (ENROL, REVOKE, DIGEST, SET_TIME)
# Queue priorities (x-max-priority = MAX_PRIORITY): a leaver leaves the gate before anyone new is put on it.
MAX_PRIORITY = 9
PRIORITY = {REVOKE: 9, SET_TIME: 5, DIGEST: 3, ENROL: 1}

# Gate kinds and directions.
NATIVE, HIKVISION_ISAPI, ZKTECO_PUSH = "native", "hikvision-isapi", "zkteco-push"
KINDS = (NATIVE, HIKVISION_ISAPI, ZKTECO_PUSH)
VENDOR_KINDS = (HIKVISION_ISAPI, ZKTECO_PUSH)  # driven by a site bridge
IN, OUT, BOTH = "in", "out", "both"
DIRECTIONS = (IN, OUT, BOTH)

# Outcomes and our reasons (a vendor's own code or words travel beside, in ``detail``).
DONE, FAILED = "done", "failed"
PHOTO_REJECTED = "photo_rejected"  # with ``photo_problem``: what is wrong with the picture
DEVICE_FULL = "device_full"
DEVICE_OFFLINE = "device_offline"
NOT_SUPPORTED = "not_supported"
BAD_PARAMETERS = "bad_parameters"
BUSY = "busy"
TIMEOUT = "timeout"
DEVICE_ERROR = "device_error"  # read/write error and the like: worth another try
UNKNOWN_DEVICE = "unknown_device"  # the command names a device this target does not drive
REASONS = (PHOTO_REJECTED, DEVICE_FULL, DEVICE_OFFLINE, NOT_SUPPORTED, BAD_PARAMETERS, BUSY, TIMEOUT,
           DEVICE_ERROR, UNKNOWN_DEVICE)
TRANSIENT = frozenset({DEVICE_OFFLINE, BUSY, TIMEOUT, DEVICE_ERROR})  # retried with back-off; the rest wait
PHOTO_PROBLEMS = ("no_face", "several_faces", "occluded", "not_sharp", "angle", "liveness", "modelling_failed",
                  "quality_low", "size_out_of_range", "format", "other")

# A gate that has not been heard from for this long is offline.
OFFLINE_AFTER_S = 120
CLOCK_TOLERANCE_S = 60


class InvalidGateMessage(ValueError):
    """A message that does not follow this protocol: it can never be handled (dead-letter it)."""


def exchange_in(prefix: str = "") -> str:
    return f"{prefix}gates.events"


def commands_exchange(prefix: str = "") -> str:
    return f"{prefix}gates.commands"


def command_queue(account: str, prefix: str = "") -> str:
    return f"{prefix}gates.commands.{account}"


def command_queue_arguments() -> dict[str, Any]:
    return {"x-queue-type": "classic", "x-max-priority": MAX_PRIORITY}


@dataclass(frozen=True, slots=True)
class Command:
    """What the platform asks of one device. ``device`` is its serial number.

    enrol: ``worker_key`` (the device's employeeNo / PIN: decimal digits, ≤ 32 bytes), ``name``, ``face_jpeg``
    (base64, ≤ 100 KB decoded) and ``face_sha256``, ``valid_from``/``valid_until`` (ISO 8601 with offset; until
    None: no end). The device adds or edits the person, then the face; "already exists" is success.
    revoke: ``worker_key``; the person and face are removed; "not on the device" is success.
    digest: ``people`` = the sorted worker keys the platform wants on the device with their face hashes
    (``[[key, sha256], ...]``); the device answers with the list it holds (``Ack.people``).
    set_time: ``time`` = the platform's now; the device sets its clock where its protocol allows.
    ``sequence`` grows per (device, worker): an acknowledgement of an older sequence is stale.
    """

    command_id: str
    op: str
    device: str
    sequence: int = 0
    worker_key: str | None = None
    name: str | None = None
    face_jpeg: str | None = field(default=None, repr=False)  # biometric: never in a log line
    face_sha256: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    people: Sequence[Sequence[str]] = field(default_factory=list)  # as decoded: a message equals its copy
    time: str | None = None

    @property
    def priority(self) -> int:
        return PRIORITY[self.op]


@dataclass(frozen=True, slots=True)
class Ack:
    """A device's answer to one command. ``people`` (digest only): ``[[key, face_sha256 or ""], ...]``."""

    command_id: str
    device: str
    op: str
    outcome: str
    sequence: int = 0
    worker_key: str | None = None
    reason: str | None = None
    photo_problem: str | None = None
    detail: str = ""
    people: Sequence[Sequence[str]] = field(default_factory=list)  # as decoded: a message equals its copy


@dataclass(frozen=True, slots=True)
class Report:
    """A device's health, sent on every change and at least every 30 s while it is reachable.

    ``online`` False: the bridge has lost it. ``clock_offset_s``: the device's clock minus the true time.
    ``known`` False: a device that contacted a bridge without being in its configuration (refused, reported).
    """

    device: str
    contact_at: str
    online: bool = True
    known: bool = True
    kind: str = NATIVE
    model: str = ""
    firmware: str = ""
    people: int | None = None
    faces: int | None = None
    people_capacity: int | None = None
    faces_capacity: int | None = None
    clock_offset_s: float | None = None
    problem: str | None = None  # a doctor's code, when the bridge knows what is wrong


@dataclass(frozen=True, slots=True)
class Punch:
    """A recognition at a gate. ``event_key``: the device's own identity of the event, unique per device
    (ISAPI serialNo with the device's boot/time, ZKTeco ``<SN>:<PIN>:<time>``): a punch sent twice is one."""

    device: str
    worker_key: str
    at: str  # ISO 8601 with the device's offset
    event_key: str
    direction: str | None = None  # in / out; None: the gate's own
    verified_by: str = "face"
    photo_jpeg: str | None = field(default=None, repr=False)  # base64; biometric: never in a log line


_KINDS: dict[str, type[Command] | type[Ack] | type[Report] | type[Punch]] = {
    COMMAND: Command, ACKNOWLEDGED: Ack, REPORTED: Report, PUNCHED: Punch}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def encode(message: Command | Ack | Report | Punch, *, source: str, correlation_id: str | None = None) -> bytes:
    """The envelope of ``message`` as UTF-8 JSON."""
    kind = next(k for k, cls in _KINDS.items() if isinstance(message, cls))
    body = {"id": str(uuid.uuid4()), "type": kind, "version": VERSION, "occurred_at": now_iso(), "source": source,
            "correlation_id": correlation_id, "data": asdict(message)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def decode(body: bytes) -> tuple[Mapping[str, Any], Command | Ack | Report | Punch]:
    """``(envelope, message)``; InvalidGateMessage when it is not one of ours."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidGateMessage(f"not JSON: {exc}") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
        raise InvalidGateMessage("not an envelope with data")
    return envelope, message_of(str(envelope.get("type")), envelope["data"])


def message_of(kind: str, data: Mapping[str, Any]) -> Command | Ack | Report | Punch:
    cls = _KINDS.get(kind)
    if cls is None:
        raise InvalidGateMessage(f"unknown type {kind!r}")
    names = set(cls.__dataclass_fields__)
    try:
        message = cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise InvalidGateMessage(f"{kind}: {exc}") from exc
    _check(message)
    return message


def _check(message: Command | Ack | Report | Punch) -> None:
    if not isinstance(message.device, str) or not message.device:
        raise InvalidGateMessage("no device")
    _check_types(message)
    if isinstance(message, Command | Ack) and message.op not in OPERATIONS:
        raise InvalidGateMessage(f"unknown op {message.op!r}")
    if isinstance(message, Ack):
        if message.outcome not in (DONE, FAILED):
            raise InvalidGateMessage(f"unknown outcome {message.outcome!r}")
        if message.outcome == FAILED and message.reason not in REASONS:
            raise InvalidGateMessage(f"a failure with an unknown reason {message.reason!r}")
    if isinstance(message, Punch) and not (message.worker_key and message.at and message.event_key):
        raise InvalidGateMessage("a punch needs worker_key, at and event_key")


# The fields' declared types (as strings: annotations are postponed) and what a JSON value of each may be.
_NONE = type(None)
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "str | None": (str, _NONE), "int": (int,), "bool": (bool,), "int | None": (int, _NONE),
    "float | None": (int, float, _NONE)}


def _check_types(message: Command | Ack | Report | Punch) -> None:
    """A field of the wrong JSON type (a number as a key, a string as a sequence) is refused here, not met later."""
    for name, spec in message.__dataclass_fields__.items():
        value, allowed = getattr(message, name), _JSON_TYPES.get(str(spec.type))
        if allowed is None:
            continue
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):  # True is an int
            raise InvalidGateMessage(f"{name} is not a {spec.type}")
    if not isinstance(message, Command | Ack):  # a report's ``people`` is a count, checked above
        return
    people = message.people
    if not isinstance(people, list | tuple) or not all(
            isinstance(pair, list | tuple) and all(isinstance(part, str) for part in pair) for pair in people):
        raise InvalidGateMessage("people is not a list of [worker_key, face_sha256]")


@dataclass(frozen=True, slots=True)
class Digest:
    """What a device holds, as compared in a digest: worker key → face hash ("" without a face)."""

    people: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Sequence[Sequence[str]]) -> Digest:
        return cls({str(p[0]): str(p[1]) if len(p) > 1 else "" for p in pairs})

    def pairs(self) -> list[list[str]]:
        return [[key, self.people[key]] for key in sorted(self.people)]
