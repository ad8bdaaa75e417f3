"""What a native gate's app does with one platform command: apply it to the terminal and say how it went.

No broker here: ``apply`` takes a ``Command`` and the ``SimulatedDevice`` and returns the ``Ack`` to publish.
Re-applying a command is harmless (an enrol edits what exists, a revoke of someone absent is done), which is
what lets the gate ack the AMQP delivery only after its answer is confirmed: a crash in between re-delivers it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime

from realname_codes import gate_protocol as gp
from realname_edge.gate_sims import device as dev
from realname_edge.gate_sims.device import DeviceRefusal, SimulatedDevice

# The terminal's refusals in our reasons (R26: the platform shows a person why a worker is not on the gate).
_REASONS = {dev.FULL_PEOPLE: gp.DEVICE_FULL, dev.FULL_FACES: gp.DEVICE_FULL, dev.NO_PERSON: gp.BAD_PARAMETERS}
_PHOTO_PROBLEMS = {dev.PHOTO_NO_FACE: "no_face", dev.PHOTO_NOT_SHARP: "not_sharp",
                   dev.PHOTO_MODELLING: "modelling_failed", dev.PHOTO_TOO_LARGE: "size_out_of_range"}


class _Refused(Exception):
    def __init__(self, reason: str, detail: str, photo_problem: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.photo_problem = reason, detail, photo_problem


def apply(command: gp.Command, device: SimulatedDevice) -> gp.Ack:
    """Carry ``command`` out on ``device``; the answer carries the command's id, sequence and worker."""
    if command.device != device.serial:
        return _answer(command, _Refused(gp.UNKNOWN_DEVICE, f"this gate is {device.serial}"))
    try:
        people = _carry_out(command, device)
    except (DeviceRefusal, _Refused) as problem:
        return _answer(command, _refusal(problem) if isinstance(problem, DeviceRefusal) else problem)
    return _answer(command, None, people)


def _answer(command: gp.Command, failure: _Refused | None, people: list[list[str]] | None = None) -> gp.Ack:
    if failure is None:
        return gp.Ack(command.command_id, command.device, command.op, gp.DONE, command.sequence,
                      command.worker_key, people=people or [])
    return gp.Ack(command.command_id, command.device, command.op, gp.FAILED, command.sequence, command.worker_key,
                  reason=failure.reason, photo_problem=failure.photo_problem, detail=failure.detail)


def _carry_out(command: gp.Command, device: SimulatedDevice) -> list[list[str]]:
    """The digest's pairs for a digest, nothing for the rest; raises on a refusal."""
    if command.op == gp.ENROL:
        _enrol(command, device)
    elif command.op == gp.REVOKE:
        device.remove_person(_worker_key(command))  # R26: "not there" is as good as removed
    elif command.op == gp.DIGEST:
        return gp.Digest(device.listing()).pairs()
    elif command.op == gp.SET_TIME:
        device.set_time(_moment(command.time))
    return []


def _enrol(command: gp.Command, device: SimulatedDevice) -> None:
    key = _worker_key(command)
    photo = _photo(command)
    # The person first, then the face (a face before its person fails on a real terminal); an existing person
    # is edited, so an enrol delivered twice ends the same as once.
    device.put_person(key, command.name or key, command.valid_from, command.valid_until)
    if photo is not None:
        device.put_face(key, photo)


def _worker_key(command: gp.Command) -> str:
    key = command.worker_key
    if not key or not key.isdigit() or len(key.encode()) > 32:
        raise _Refused(gp.BAD_PARAMETERS, "worker_key must be 1-32 decimal digits")
    return key


def _photo(command: gp.Command) -> bytes | None:
    if command.face_jpeg is None:
        return None
    try:
        photo = base64.b64decode(command.face_jpeg, validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(gp.BAD_PARAMETERS, "face_jpeg is not base64") from None
    if command.face_sha256 and hashlib.sha256(photo).hexdigest() != command.face_sha256:
        raise _Refused(gp.BAD_PARAMETERS, "face_jpeg does not match face_sha256")  # damaged on the way
    return photo


def _moment(value: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        raise _Refused(gp.BAD_PARAMETERS, "time must be ISO 8601 with an offset") from None
    if moment.tzinfo is None:
        raise _Refused(gp.BAD_PARAMETERS, "time must be ISO 8601 with an offset")
    return moment


def _refusal(refusal: DeviceRefusal) -> _Refused:
    """The device's code in our reason; its own code and words travel in ``detail`` (never the photo)."""
    detail = str(refusal)
    if refusal.code in _PHOTO_PROBLEMS:
        return _Refused(gp.PHOTO_REJECTED, detail, _PHOTO_PROBLEMS[refusal.code])
    return _Refused(_REASONS.get(refusal.code, gp.DEVICE_ERROR), detail)
