"""What judging a batch of punches needs, read in a few queries for the whole batch (R27): the senders' bridges
and native gates, the gates the punches name, the workers their keys name and those workers' admissions.

A punch naming a registered gate that its sender does not speak for is forgery, not a punch: PoisonMessage (it
is dead-lettered with the reason, as ``senders.gate_of_sender`` does for every other gate message). A serial that
names no gate at all is kept, judged ``unknown_device``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    known = Known()
    for bridge in session.execute(select(Bridge.id, Bridge.account, Bridge.project_id)
                                  .where(Bridge.account.in_(senders))):
        known.senders[bridge.account] = Sender(bridge.id, bridge.project_id)
    for account, project_id in session.execute(select(Gate.account, Gate.project_id)
                                               .where(Gate.account.in_(senders))).tuples():
        if account is not None:
            known.senders[account] = Sender(None, project_id)
    rows = session.execute(select(Gate, Bridge.enabled).outerjoin(Bridge, Bridge.id == Gate.bridge_id)
                           .where(Gate.serial.in_(serials)))
    for gate, bridge_enabled in rows.tuples():
        known.gates.setdefault(gate.serial, []).append((gate, bridge_enabled is not False))
    keys = {int(k): k for k in worker_keys if _is_key(k)}
    for key, worker_id in session.execute(select(Worker.key, Worker.worker_id).where(Worker.key.in_(keys))).tuples():
        known.workers[keys[key]] = worker_id
    projects = {g.project_id for gates in known.gates.values() for g, _ in gates}
    if known.workers and projects:
        query = select(Admission).where(Admission.worker_id.in_(set(known.workers.values())),
                                        Admission.project_id.in_(projects))
        for admission in session.scalars(query):
            known.stays.setdefault((admission.worker_id, admission.project_id), []).append(
                Stay(admission.entry_at, admission.exited_at, admission.status == "exited"))
    return known


def _is_key(text: str) -> bool:
    """Decimal digits as the platform writes them (no leading zero): anything else names no worker of ours."""
    return text.isascii() and text.isdigit() and len(text) <= KEY_DIGITS and str(int(text)) == text
