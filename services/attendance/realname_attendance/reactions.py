"""What the whitelist does when a gate or a face changes (attendance's own events), and when a retry falls due.

The effect is always on pairs (``gate_people``); the dispatcher sends what became pending.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.clock import clock_off
from realname_attendance.models import Gate, GatePerson
from realname_attendance.pairs import admitted_workers, locked_pairs, state_of, wish, write
from realname_attendance.rules.whitelist import ON, PENDING, SENT, SYNCED, due_again, want
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.logs import get_logger

log = get_logger(__name__)
SYNC_DUE = "gate.sync_due"


def _field(event: Envelope, name: str) -> str:
    value = event.data.get(name)
    if not isinstance(value, str) or not value:
        raise PoisonMessage(f"{event.type} without {name}")
    return value


def _gate(session: Session, event: Envelope) -> Gate | None:
    gate = session.scalars(select(Gate).where(Gate.id == _field(event, "gate_id")).with_for_update()).first()
    if gate is None:
        log.warning("gate_event_for_unknown_gate", type=event.type, gate_id=event.data.get("gate_id"))
    return gate


def gate_needs_everything(session: Session, event: Envelope) -> None:
    """device.registered / device.enabled: a new (or wiped, or re-enabled) gate gets every admitted worker."""
    gate = _gate(session, event)
    if gate is not None and gate.enabled:
        wish(session, [gate.id], admitted_workers(session, gate.project_id), ON, again=True)


def gate_disabled(session: Session, event: Envelope) -> None:
    """device.disabled: the dispatcher leaves a disabled gate alone. Commands in flight may never be answered:
    they count as not sent, so that enabling it again sends them (with everything else) once more."""
    gate = _gate(session, event)
    if gate is None:
        return
    for row in locked_pairs(session, gate_ids=[gate.id]).values():
        if row.state == SENT:
            write(row, want(state_of(row), row.wanted, again=True) or state_of(row))


def gate_back_online(session: Session, event: Envelope) -> None:
    """device.online: every pair of the gate that is not synced is sent again (what changed while it was away;
    a leaver is revoked before anyone new is enrolled, by the dispatcher's order)."""
    gate = _gate(session, event)
    if gate is None or not gate.enabled:
        return
    for row in locked_pairs(session, gate_ids=[gate.id]).values():
        if row.state not in (SYNCED, PENDING):
            write(row, want(state_of(row), row.wanted, again=True) or state_of(row))


def worker_face_changed(session: Session, event: Envelope) -> None:
    """face.recorded, face.removed, worker.renamed: the worker's pairs wanted on are sent again, with the new face
    and name; without a face the dispatcher revokes them and they wait for one (``face_missing``)."""
    worker_id = _field(event, "worker_id")
    for row in locked_pairs(session, worker_ids=[worker_id]).values():
        if row.wanted == ON:
            write(row, want(state_of(row), ON, again=True) or state_of(row))


def sync_due(session: Session, event: Envelope) -> None:
    """gate.sync_due {gate_id, worker_id, sequence}: a transient failure's back-off is over."""
    gate_id, worker_id = _field(event, "gate_id"), _field(event, "worker_id")
    sequence = event.data.get("sequence")
    if not isinstance(sequence, int):
        raise PoisonMessage("gate.sync_due without sequence")
    row = session.scalars(select(GatePerson).where(GatePerson.gate_id == gate_id, GatePerson.worker_id == worker_id)
                          .with_for_update()).first()
    new = due_again(state_of(row), sequence) if row is not None else None
    if row is not None and new is not None:
        write(row, new)


WHITELIST_HANDLERS = {
    "device.registered": gate_needs_everything,
    "device.enabled": gate_needs_everything,
    "device.disabled": gate_disabled,
    "device.online": gate_back_online,
    "face.recorded": worker_face_changed,
    "face.removed": worker_face_changed,
    "worker.renamed": worker_face_changed,
    "device.clock_off": clock_off,
    SYNC_DUE: sync_due,
}
