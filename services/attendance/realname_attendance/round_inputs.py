"""What one dispatch round needs to build its commands, read in a few statements rather than several per command.

A round sends one worker to every gate of the project at once (20 gates: 20 commands), so the worker's face is
opened and encoded once per round, not once per gate, and the gates, their command targets, the workers and their
earliest entries are each read with one query for the whole round. Nothing here is kept between rounds: a face
changed after this round is read afresh by the next.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realname_attendance.faces.upload import face_jpeg
from realname_attendance.models import Admission, Bridge, Face, Gate, GatePerson, Worker
from realname_attendance.targets import target_of
from realname_kit.privacy.keyring import Keyring


@dataclass
class RoundInputs:
    keyring: Keyring
    gates: dict[str, Gate]
    targets: dict[str, str | None]  # gate id -> the account its commands go to (None: not reachable now)
    workers: dict[str, Worker]
    faces: dict[str, Face]
    entries: dict[tuple[str, str], datetime]  # (project, worker) -> earliest confirmed entry (R23)
    _photos: dict[str, str] = field(default_factory=dict)  # worker id -> base64 JPEG, opened once this round

    def photo(self, face: Face) -> str:
        """The face as an enrol carries it (base64 JPEG); a biometric: kept only for this round, never logged."""
        encoded = self._photos.get(face.worker_id)
        if encoded is None:
            encoded = base64.b64encode(face_jpeg(self.keyring, face)).decode("ascii")
            self._photos[face.worker_id] = encoded
        return encoded


def round_inputs(session: Session, keyring: Keyring, rows: Iterable[GatePerson]) -> RoundInputs:
    pairs = list(rows)
    gate_ids = sorted({r.gate_id for r in pairs})
    worker_ids = sorted({r.worker_id for r in pairs})
    gates = {g.id: g for g in session.scalars(select(Gate).where(Gate.id.in_(gate_ids)))}
    return RoundInputs(
        keyring=keyring, gates=gates, targets=_targets(session, gates.values()),
        workers={w.worker_id: w for w in session.scalars(select(Worker).where(Worker.worker_id.in_(worker_ids)))},
        faces={f.worker_id: f for f in session.scalars(select(Face).where(Face.worker_id.in_(worker_ids)))},
        entries=_entries(session, {g.project_id for g in gates.values()}, worker_ids))


def _targets(session: Session, gates: Iterable[Gate]) -> dict[str, str | None]:
    """``targets.command_target`` of every gate of the round, their bridges read at once."""
    listed = list(gates)
    bridge_ids = {g.bridge_id for g in listed if g.bridge_id is not None}
    bridges = {b.id: b for b in session.scalars(select(Bridge).where(Bridge.id.in_(bridge_ids)))} if bridge_ids else {}
    return {g.id: target_of(g, bridges.get(g.bridge_id) if g.bridge_id is not None else None) for g in listed}


def _entries(session: Session, project_ids: set[str], worker_ids: list[str]) -> dict[tuple[str, str], datetime]:
    rows = session.execute(
        select(Admission.project_id, Admission.worker_id, func.min(Admission.entry_at))
        .where(Admission.project_id.in_(project_ids), Admission.worker_id.in_(worker_ids),
               Admission.status == "accepted")
        .group_by(Admission.project_id, Admission.worker_id))
    return {(p, w): entry for p, w, entry in rows if entry is not None}
