"""A gate's answers to the commands it was sent (``gate.acknowledged``, from the gates' exchange).

The broker vouches for the sending account; the device the answer names must be that account's
(``senders.gate_of_sender``), else it is dead-lettered. An answer to a command the pair no longer waits for is
stale: ignored, and counted in a log line. A transient failure is tried again after a back-off, through the
whitelist queue's wait tiers (``gate.sync_due``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, GatePerson, Worker
from realname_attendance.pairs import state_of, write
from realname_attendance.reactions import SYNC_DUE
from realname_attendance.reconcile import digest_answered
from realname_attendance.rules.whitelist import AckView, acknowledged, retry_in
from realname_attendance.senders import gate_of_sender
from realname_codes.gate_protocol import DIGEST, SET_TIME, Ack, InvalidGateMessage, message_of
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.logs import get_logger
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


def gate_acknowledged(session: Session, event: Envelope) -> None:
    try:
        ack = message_of(event.type, event.data)
    except InvalidGateMessage as exc:
        raise PoisonMessage(f"gate.acknowledged refused: {exc}") from exc
    if not isinstance(ack, Ack):
        raise PoisonMessage("gate.acknowledged that is not an acknowledgement")
    gate = gate_of_sender(session, event.sender, ack.device)
    if ack.op == DIGEST:
        digest_answered(session, gate, ack)
        return
    if ack.op == SET_TIME:
        log.info("gate_clock_set", gate_id=gate.id, outcome=ack.outcome, reason=ack.reason)
        return
    row = _pair(session, gate.id, ack.worker_key)
    new = acknowledged(state_of(row), _view(ack), utcnow()) if row is not None else None
    if row is None or new is None:
        log.info("gate_ack_stale", gate_id=gate.id, command_id=ack.command_id, sequence=ack.sequence, stale=1,
                 current_sequence=row.sequence if row is not None else None)
        return
    write(row, new)
    delay = retry_in(new)
    if delay is not None:
        OUTBOX.record(session, SYNC_DUE, {"gate_id": gate.id, "worker_id": row.worker_id, "sequence": new.sequence},
                      wait_seconds=delay)


def _pair(session: Session, gate_id: str, worker_key: str | None) -> GatePerson | None:
    if not worker_key or not worker_key.isdigit():
        return None
    worker_id = select(Worker.worker_id).where(Worker.key == int(worker_key)).scalar_subquery()
    return session.scalars(select(GatePerson).where(GatePerson.gate_id == gate_id, GatePerson.worker_id == worker_id)
                           .with_for_update()).first()


def _view(ack: Ack) -> AckView:
    return AckView(command_id=ack.command_id, sequence=ack.sequence, op=ack.op, outcome=ack.outcome,
                   reason=ack.reason, photo_problem=ack.photo_problem, detail=ack.detail[:1000])
