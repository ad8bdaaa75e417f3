"""A gate's answers to the commands it was sent (``gate.acknowledged``, from the gates' exchange).

The broker vouches for the sending account; the device the answer names must be that account's
(``senders.gates_of_senders``), else it is dead-lettered. An answer to a command the pair no longer waits for is
stale: ignored, and counted in a log line. A transient failure is tried again after a back-off, through the
whitelist queue's wait tiers (``gate.sync_due``).

The answers of a delivered batch are handled together (20 gates answer 200 enrolments a second at a morning's
peak): the senders' gates are looked up in one statement, and the pairs answered are read and locked in one statement,
in the order every writer of ``gate_people`` locks them. A batch with a message that can never be handled falls
back to one message at a time (the kit's processor), so only that one is dead-lettered.
"""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, Gate, GatePerson, Worker
from realname_attendance.pairs import state_of, write
from realname_attendance.reactions import SYNC_DUE
from realname_attendance.reconcile import digest_answered
from realname_attendance.rules.whitelist import AckView, acknowledged, retry_in
from realname_attendance.senders import gates_of_senders
from realname_codes.gate_protocol import DIGEST, SET_TIME, Ack, InvalidGateMessage, message_of
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage, handles_batch
from realname_kit.logs import correlated, get_logger
from realname_kit.timeutil import utcnow

log = get_logger(__name__)
Pairs = dict[tuple[str, int], GatePerson]  # (gate id, worker key) -> the pair, locked


@handles_batch
def gate_acknowledged(session: Session, events: list[Envelope]) -> None:
    answers = [(event, _ack_of(event)) for event in events]
    gates = gates_of_senders(session, {(event.sender, ack.device) for event, ack in answers})
    pairs = _locked_pairs(session, {(gates[e.sender, a.device].id, key) for e, a in answers
                                    if a.op not in (DIGEST, SET_TIME) and (key := _key(a)) is not None})
    for event, ack in answers:
        with correlated(event.correlation_id):
            _answered(session, gates[event.sender, ack.device], ack, pairs)


def _answered(session: Session, gate: Gate, ack: Ack, pairs: Pairs) -> None:
    if ack.op == DIGEST:
        digest_answered(session, gate, ack)
        return
    if ack.op == SET_TIME:
        log.info("gate_clock_set", gate_id=gate.id, outcome=ack.outcome, reason=ack.reason)
        return
    key = _key(ack)
    row = pairs.get((gate.id, key)) if key is not None else None
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


def _ack_of(event: Envelope) -> Ack:
    try:
        ack = message_of(event.type, event.data)
    except InvalidGateMessage as exc:
        raise PoisonMessage(f"gate.acknowledged refused: {exc}") from exc
    if not isinstance(ack, Ack):
        raise PoisonMessage("gate.acknowledged that is not an acknowledgement")
    return ack


def _key(ack: Ack) -> int | None:
    return int(ack.worker_key) if ack.worker_key and ack.worker_key.isdigit() else None


def _locked_pairs(session: Session, wanted: set[tuple[str, int]]) -> Pairs:
    if not wanted:
        return {}
    rows = session.execute(select(GatePerson, Worker.key).join(Worker, Worker.worker_id == GatePerson.worker_id)
                           .where(tuple_(GatePerson.gate_id, Worker.key).in_(sorted(wanted)))
                           .order_by(GatePerson.gate_id, GatePerson.worker_id).with_for_update(of=GatePerson))
    return {(row.gate_id, int(key)): row for row, key in rows}


def _view(ack: Ack) -> AckView:
    return AckView(command_id=ack.command_id, sequence=ack.sequence, op=ack.op, outcome=ack.outcome,
                   reason=ack.reason, photo_problem=ack.photo_problem, detail=ack.detail[:1000])
