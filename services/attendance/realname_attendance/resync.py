"""A person asks for pairs to be sent again (after fixing what a failure said): a gate's, or a worker's, on one
project; failed ones included. Audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, Gate
from realname_attendance.pairs import locked_pairs, state_of, write
from realname_attendance.rules.whitelist import want
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.problems import Problem

RESYNCED = "gates.resynced"


def resync(session: Session, caller: Caller, project_id: str, *, gate_id: str | None, worker_id: str | None) -> int:
    """The number of pairs made pending again; a gate of another project answers 404."""
    if (gate_id is None) == (worker_id is None):
        raise Problem(422, "resync_needs_one", "Name either a gate or a worker",
                      "Send {gate_id} to resend a gate's list, or {worker_id} to resend one worker everywhere.",
                      message_zh="请只填写闸机编号（gate_id）或工人编号（worker_id）之一。")
    gates = list(session.scalars(select(Gate.id).where(Gate.project_id == project_id)))
    if gate_id is not None:
        if gate_id not in gates:
            raise Problem(404, "gate_not_found", "No gate of this project has this id", gate_id=gate_id,
                          message_zh="该项目没有这台闸机：请核对闸机编号。")
        gates = [gate_id]
    rows = locked_pairs(session, gate_ids=gates, worker_ids=[worker_id] if worker_id else None)
    for row in rows.values():  # synced ones too: a gate wiped by hand holds less than it says
        write(row, want(state_of(row), row.wanted, again=True) or state_of(row))
    changed = len(rows)
    record_audit(session, OUTBOX, action=RESYNCED, actor=caller, subject=gate_id or worker_id,
                 details={"project_id": project_id, "pairs": changed})
    return changed

