"""What judging a batch of punches needs, read in a few queries for the whole batch (R27): the senders' bridges
and native gates, the gates the punches name, the workers their keys name and those workers' admissions.

A punch naming a registered gate that its sender does not speak for is forgery, not a punch: PoisonMessage (it
is dead-lettered with the reason, as ``senders.gate_of_sender`` does for every other gate message). A serial that
names no gate at all is kept, judged ``unknown_device``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import BigInteger, ColumnElement, String, any_, bindparam, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.types import TypeEngine

from realname_attendance.models import Admission, Bridge, Gate, Worker
from realname_attendance.rules.punch_judgement import GateKnown, Stay
from realname_kit.bus.processing import PoisonMessage

KEY_DIGITS = 18  # a longer key cannot be one of ours (workers.key is a 64-bit integer)


@dataclass(frozen=True, slots=True)
class Sender:
    """A broker account that may publish punches: a site bridge's, or a native gate's."""

    bridge_id: str | None
    project_id: str


@dataclass
class Known:
    senders: dict[str, Sender] = field(default_factory=dict)
    gates: dict[str, list[tuple[Gate, bool]]] = field(default_factory=dict)  # by serial: (gate, bridge enabled)
    workers: dict[str, str] = field(default_factory=dict)  # worker key as sent → worker id
    stays: dict[tuple[str, str], list[Stay]] = field(default_factory=dict)  # (worker id, project id)

    def gate(self, sender: str | None, serial: str) -> tuple[GateKnown | None, str | None]:
        """The gate ``serial`` that ``sender`` speaks for and the project it is on; (None, the sender's project)
        for a serial that names no gate; PoisonMessage for an unknown sender or someone else's gate."""
        speaker = self.senders.get(sender or "")
        if speaker is None:
            raise PoisonMessage(f"account {sender!r} is no gate's nor site bridge's: its punches are refused")
        registered = self.gates.get(serial, [])
        for gate, bridge_enabled in registered:
            if gate.account == sender or (speaker.bridge_id is not None and gate.bridge_id == speaker.bridge_id):
                known = GateKnown(gate.id, gate.project_id, gate.enabled and bridge_enabled, gate.direction)
                return known, gate.project_id
        if registered:
            raise PoisonMessage(f"account {sender!r} does not speak for a gate {serial!r}: refused")
        return None, speaker.project_id


def known_for(session: Session, senders: Collection[str], serials: Collection[str],
              worker_keys: Collection[str]) -> Known:
    """Three queries for the whole batch: the senders, the gates named, the workers named with their admissions."""
    known = Known()
    among = _among_arrays if session.get_bind().dialect.name == "postgresql" else _among_list
    bridges = select(Bridge.account, Bridge.id, Bridge.project_id).where(among(Bridge.account, senders, String))
    natives = select(Gate.account, null(), Gate.project_id).where(among(Gate.account, senders, String))
    speakers = cast(list[tuple[str, str | None, str]], session.execute(union_all(bridges, natives)).all())
    for account, bridge_id, project_id in speakers:
        known.senders[account] = Sender(bridge_id, project_id)
    rows = session.execute(select(Gate, Bridge.enabled).outerjoin(Bridge, Bridge.id == Gate.bridge_id)
                           .where(among(Gate.serial, serials, String)))
    for gate, bridge_enabled in rows:
        known.gates.setdefault(gate.serial, []).append((gate, bridge_enabled is not False))
    keys = {int(k): k for k in worker_keys if _is_key(k)}
    projects = {g.project_id for gates in known.gates.values() for g, _ in gates}
    if not keys:
        return known
    query = (select(Worker.key, Worker.worker_id, Admission.project_id, Admission.entry_at, Admission.exited_at,
                    Admission.status)
             .outerjoin(Admission, (Admission.worker_id == Worker.worker_id)
                        & among(Admission.project_id, projects, String))
             .where(among(Worker.key, keys, BigInteger)))
    for key, worker_id, project_id, entry_at, exited_at, status in session.execute(query):
        known.workers[keys[key]] = worker_id
        if project_id is not None:
            known.stays.setdefault((worker_id, project_id), []).append(Stay(entry_at, exited_at, status == "exited"))
    return known


def _among_list(column: QueryableAttribute[Any], values: Collection[Any],
                kind: type[TypeEngine[Any]]) -> ColumnElement[bool]:
    return column.in_(list(values))


def _among_arrays(column: QueryableAttribute[Any], values: Collection[Any],
                  kind: type[TypeEngine[Any]]) -> ColumnElement[bool]:
    """PostgreSQL: ``= ANY(array)``: one statement text whatever the number of values, parsed and planned once."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(kind())))


def _is_key(text: str) -> bool:
    """Decimal digits as the platform writes them (no leading zero): anything else names no worker of ours."""
    return text.isascii() and text.isdigit() and len(text) <= KEY_DIGITS and str(int(text)) == text
