"""The command that brings one (gate, worker) pair where it is wanted: an enrol with the face, or a revoke."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from realname_attendance.models import Face, Gate, Worker
from realname_attendance.round_inputs import RoundInputs
from realname_codes.gate_protocol import ENROL, Command

# Gates keep local time; China has one offset all year.
CHINA_OFFSET = timezone(timedelta(hours=8))


def valid_until(contract_end: date | None) -> str | None:
    """The end of the worker's contract, end of that day, local time; None: no end known."""
    if contract_end is None:
        return None
    return datetime(contract_end.year, contract_end.month, contract_end.day, 23, 59, 59,
                    tzinfo=CHINA_OFFSET).isoformat()


def valid_from(entry: datetime | None) -> str | None:
    """The earliest confirmed entry of the worker on the project (R23), local time."""
    return entry.astimezone(CHINA_OFFSET).isoformat() if entry is not None else None


def build(inputs: RoundInputs, gate: Gate, worker: Worker, face: Face | None, *, op: str, command_id: str,
          sequence: int) -> Command:
    key = str(worker.key)
    if op != ENROL:
        return Command(command_id=command_id, op=op, device=gate.serial, sequence=sequence, worker_key=key)
    assert face is not None  # rules.whitelist.operation enrols only with a face
    return Command(command_id=command_id, op=op, device=gate.serial, sequence=sequence, worker_key=key,
                   name=worker.name or key,  # the name arrives with registry events; the key stands in meanwhile
                   face_jpeg=inputs.photo(face), face_sha256=face.sha256,
                   valid_from=valid_from(inputs.entries.get((gate.project_id, worker.worker_id))),
                   valid_until=valid_until(worker.contract_end))
