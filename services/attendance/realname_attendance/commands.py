"""The command that brings one (gate, worker) pair where it is wanted: an enrol with the face, or a revoke."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realname_attendance.faces.upload import face_jpeg
from realname_attendance.models import Admission, Face, Gate, Worker
from realname_codes.gate_protocol import ENROL, Command
from realname_kit.privacy.keyring import Keyring

# Gates keep local time; China has one offset all year.
CHINA_OFFSET = timezone(timedelta(hours=8))


def valid_until(contract_end: date | None) -> str | None:
    """The end of the worker's contract, end of that day, local time; None: no end known."""
    if contract_end is None:
        return None
    return datetime(contract_end.year, contract_end.month, contract_end.day, 23, 59, 59,
                    tzinfo=CHINA_OFFSET).isoformat()


def valid_from(session: Session, project_id: str, worker_id: str) -> str | None:
    """The earliest confirmed entry of the worker on the project (R23), local time."""
    entry = session.scalar(select(func.min(Admission.entry_at)).where(
        Admission.project_id == project_id, Admission.worker_id == worker_id, Admission.status == "accepted"))
    return entry.astimezone(CHINA_OFFSET).isoformat() if entry is not None else None


def build(session: Session, keyring: Keyring, gate: Gate, worker: Worker, face: Face | None, *, op: str,
          command_id: str, sequence: int) -> Command:
    key = str(worker.key)
    if op != ENROL:
        return Command(command_id=command_id, op=op, device=gate.serial, sequence=sequence, worker_key=key)
    assert face is not None  # rules.whitelist.operation enrols only with a face
    return Command(command_id=command_id, op=op, device=gate.serial, sequence=sequence, worker_key=key,
                   name=worker.name or key,  # the name arrives with registry events; the key stands in meanwhile
                   face_jpeg=base64.b64encode(face_jpeg(keyring, face)).decode("ascii"),
                   face_sha256=face.sha256, valid_from=valid_from(session, gate.project_id, worker.worker_id),
                   valid_until=valid_until(worker.contract_end))
