"""Card reads of a worker by an enterprise that does not hold their registration: noted, never applied (R1, R12).

The worker's current employer sees such a read in the worker's history as ``card_read_by_other_enterprise``:
its result and its time, not the enterprise nor what its read said (that is the other enterprise's business and
the person's privacy). Every such read is in the audit log with the enterprise and the read, for regulators.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_kit.audit import DENIED, record_audit
from realname_kit.auth import Caller
from realname_registry.models import OUTBOX, Employment, Worker
from realname_registry.rules.card_read_owner import employer_told, read_decides
from realname_registry.workers.history import record_history

FOREIGN_READ = "card_read_by_other_enterprise"


def holding_employment(session: Session, worker: Worker) -> Employment | None:
    """The employment the worker's registration belongs to now: the active one, else the latest."""
    return session.scalars(select(Employment).where(Employment.worker_id == worker.id)
                           .order_by((Employment.status == "active").desc(), Employment.seq.desc()).limit(1)).first()


def decided_by(session: Session, worker: Worker, read_id: str, read_employer_id: str,
               outcome: dict[str, Any]) -> bool:
    """Whether the read may change the worker (R1, R12); if it may not, it is noted with its ``outcome``."""
    holder = holding_employment(session, worker)
    if read_decides(read_employer_id, holder.employer_id if holder else None):
        return True
    if holder is not None and employer_told(holder.status):
        record_history(session, worker, holder, FOREIGN_READ, actor="identity", actor_enterprise_id=None,
                       changes={name: [None, value] for name, value in outcome.items()})
    record_audit(session, OUTBOX, action=f"identity.{FOREIGN_READ}", outcome=DENIED,
                 actor=Caller(enterprise_id=read_employer_id, kind="enterprise"), subject=worker.id,
                 details={"read_id": read_id, "holding_employer_id": holder.employer_id if holder else None,
                          **outcome})
    return False
