"""Reads of the whitelist's state for a project: per gate, counts; per worker, the state on each gate with what
to do about it (cursor pages over workers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realname_attendance.models import Gate, GatePerson, Worker
from realname_attendance.rules.sync_words import words
from realname_attendance.rules.whitelist import OFF, ON, STATES
from realname_codes.gate_protocol import OFFLINE_AFTER_S
from realname_kit.pagination import cursor_position, encode_cursor


@dataclass(frozen=True, slots=True)
class SyncFilter:
    gate_id: str | None = None
    worker_id: str | None = None
    state: str | None = None
    reason: str | None = None


def is_online(gate: Gate, now: datetime) -> bool:
    return bool(gate.reported_online) and gate.last_contact_at is not None \
        and gate.last_contact_at > now - timedelta(seconds=OFFLINE_AFTER_S)


def gates_of(session: Session, project_id: str, now: datetime) -> list[dict[str, Any]]:
    gates = list(session.scalars(select(Gate).where(Gate.project_id == project_id).order_by(Gate.name, Gate.id)))
    counts = session.execute(select(GatePerson.gate_id, GatePerson.state, GatePerson.wanted, func.count())
                             .where(GatePerson.gate_id.in_([g.id for g in gates]))
                             .group_by(GatePerson.gate_id, GatePerson.state, GatePerson.wanted)).all()
    out = []
    for gate in gates:
        states = dict.fromkeys(STATES, 0)
        wanted = {ON: 0, OFF: 0}
        for gate_id, state, want, n in counts:
            if gate_id == gate.id:
                states[state] = states.get(state, 0) + int(n)
                wanted[want] = wanted.get(want, 0) + int(n)
        out.append({"gate_id": gate.id, "name": gate.name, "kind": gate.kind, "enabled": gate.enabled,
                    "online": is_online(gate, now), "counts": states, "wanted": wanted})
    return out


def workers_page(session: Session, project_id: str, where: SyncFilter, limit: int,
                 cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    position = cursor_position(cursor, {"after": str})
    pairs = (select(GatePerson).join(Gate, Gate.id == GatePerson.gate_id).where(Gate.project_id == project_id))
    for column, value in ((GatePerson.gate_id, where.gate_id), (GatePerson.worker_id, where.worker_id),
                          (GatePerson.state, where.state), (GatePerson.reason, where.reason)):
        if value is not None:
            pairs = pairs.where(column == value)
    ids = pairs.with_only_columns(GatePerson.worker_id)
    if position is not None:
        ids = ids.where(GatePerson.worker_id > position["after"])
    page = list(session.scalars(ids.distinct().order_by(GatePerson.worker_id).limit(limit + 1)))
    more = len(page) > limit
    page = page[:limit]
    rows = session.scalars(pairs.where(GatePerson.worker_id.in_(page)).order_by(GatePerson.gate_id)).all()
    people = {w.worker_id: w for w in session.scalars(select(Worker).where(Worker.worker_id.in_(page)))}
    items = [_worker(worker_id, people.get(worker_id), [r for r in rows if r.worker_id == worker_id])
             for worker_id in page]
    return items, encode_cursor({"after": page[-1]}) if more else None


def _worker(worker_id: str, worker: Worker | None, rows: list[GatePerson]) -> dict[str, Any]:
    return {"worker_id": worker_id, "name": worker.name if worker else None,
            "key": str(worker.key) if worker else None, "gates": [_pair(r) for r in rows]}


def _pair(row: GatePerson) -> dict[str, Any]:
    zh, en = words(row.state, row.reason)
    return {"gate_id": row.gate_id, "wanted": row.wanted, "state": row.state, "reason": row.reason,
            "photo_problem": row.photo_problem, "detail": row.detail, "what_to_do_zh": zh, "what_to_do_en": en,
            "attempts": row.attempts, "sent_at": row.sent_at, "synced_at": row.synced_at, "updated_at": row.updated_at}
