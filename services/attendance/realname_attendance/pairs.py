"""The (gate, worker) pairs as rows: read into the rules' ``PairState``, written back, and wished on or off.

Every writer of ``gate_people`` locks the rows it changes (``FOR UPDATE``): the bus handlers, the resync endpoint
and the dispatcher (which skips locked rows) never overwrite each other's decisions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import Admission, Gate, GatePerson
from realname_attendance.rules.whitelist import OFF, ON, PairState, want
from realname_kit.timeutil import utcnow

_FIELDS = tuple(f.name for f in fields(PairState))


def state_of(row: GatePerson) -> PairState:
    return PairState(**{name: getattr(row, name) for name in _FIELDS})


def write(row: GatePerson, state: PairState) -> None:
    for name in _FIELDS:
        setattr(row, name, getattr(state, name))
    row.updated_at = utcnow()


def locked_pairs(session: Session, *, gate_ids: Iterable[str] | None = None,
                 worker_ids: Iterable[str] | None = None) -> dict[tuple[str, str], GatePerson]:
    query = select(GatePerson)
    if gate_ids is not None:
        query = query.where(GatePerson.gate_id.in_(list(gate_ids)))
    if worker_ids is not None:
        query = query.where(GatePerson.worker_id.in_(list(worker_ids)))
    rows = session.scalars(query.order_by(GatePerson.gate_id, GatePerson.worker_id).with_for_update())
    return {(r.gate_id, r.worker_id): r for r in rows}


def wish(session: Session, gate_ids: list[str], worker_ids: list[str], wanted: str, *, again: bool = False) -> int:
    """Every pair of these gates and workers wanted ``wanted`` (``again``: sent again even if unchanged); pairs
    not yet known are made when wanted on. The number of pairs that changed."""
    if not gate_ids or not worker_ids:
        return 0
    existing = locked_pairs(session, gate_ids=gate_ids, worker_ids=worker_ids)
    changed = 0
    for gate_id in gate_ids:
        for worker_id in worker_ids:
            row = existing.get((gate_id, worker_id))
            new = want(state_of(row) if row else None, wanted, again=again)
            if new is None:
                continue
            if row is None:
                row = GatePerson(gate_id=gate_id, worker_id=worker_id)
                session.add(row)
            write(row, new)
            changed += 1
    return changed


def enabled_gates(session: Session, project_id: str) -> list[str]:
    return list(session.scalars(select(Gate.id).where(Gate.project_id == project_id, Gate.enabled.is_(True))
                                .order_by(Gate.id)))


def admitted_workers(session: Session, project_id: str) -> list[str]:
    """Workers admitted to the project: an accepted admission whose entry was confirmed (R23)."""
    return sorted(set(session.scalars(select(Admission.worker_id).where(
        Admission.project_id == project_id, Admission.status == "accepted", Admission.entry_at.is_not(None)))))


def is_admitted(session: Session, project_id: str, worker_id: str) -> bool:
    found = session.scalars(select(Admission.assignment_id).where(
        Admission.project_id == project_id, Admission.worker_id == worker_id, Admission.status == "accepted",
        Admission.entry_at.is_not(None)).limit(1)).first()
    return found is not None


def wanted_for(session: Session, project_id: str, worker_id: str) -> str:
    return ON if is_admitted(session, project_id, worker_id) else OFF
