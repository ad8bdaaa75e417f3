"""The gate dispatcher: pending pairs become commands on their gates' queues (a chore beside the relay).

Each round, in one transaction: take pending pairs of enabled gates not known to be offline (``FOR UPDATE SKIP
LOCKED``: several relay processes may run), revokes first and enrols within each gate's window
(``rules.whitelist.choose``), build the commands, publish them with publisher confirms and their priority, mark the
pairs sent. A publish the broker does not confirm rolls the round back: the pairs stay pending and go next round.
A face is in a command's body only: never in a log line.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realname_attendance.command_sender import CommandSender, SendsCommands
from realname_attendance.commands import build
from realname_attendance.models import Gate, GatePerson
from realname_attendance.pairs import state_of, write
from realname_attendance.round_inputs import RoundInputs, round_inputs
from realname_attendance.rules.whitelist import (
    OFF,
    PENDING,
    SENT,
    Candidate,
    choose,
    dispatched,
    operation,
    wait_for_face,
)
from realname_attendance.settings import DISPATCH_BATCH, DISPATCH_IDLE, GATE_WINDOW, gate_broker_url
from realname_codes.gate_protocol import ENROL, Command
from realname_kit.bus.confirming_publisher import ConfirmingPublisher
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.privacy.keyring import Keyring, shared_keyring
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


@dataclass
class Dispatcher:
    db: Database
    sender: SendsCommands
    keyring: Keyring
    window: int = 20
    batch: int = 200

    def round(self) -> int:
        """One round; the number of commands published."""
        with self.db.transaction() as session:
            rows = _pending(session, self.batch, self.window)
            if not rows:
                return 0
            chosen = choose([Candidate(r.gate_id, r.worker_id, r.wanted, r.updated_at) for r in rows],
                            _in_flight(session, {r.gate_id for r in rows}), self.window)
            by_pair = {(r.gate_id, r.worker_id): r for r in rows}
            picked = [by_pair[c.gate_id, c.worker_id] for c in chosen]
            inputs = round_inputs(session, self.keyring, picked)  # read once for the round, before any write
            commands = [c for c in (self._command(inputs, row) for row in picked) if c]
            self.sender.send(commands)
        if commands:
            log.info("gate_commands_sent", commands=len(commands),
                     revokes=sum(1 for _, c in commands if c.op != ENROL))
        return len(commands)

    @staticmethod
    def _command(inputs: RoundInputs, row: GatePerson) -> tuple[str, Command] | None:
        gate = inputs.gates.get(row.gate_id)
        target = inputs.targets.get(row.gate_id)
        worker = inputs.workers.get(row.worker_id)
        if gate is None or target is None or worker is None:
            return None  # no live credentials yet: it stays pending until the gate can be reached
        face = inputs.faces.get(row.worker_id)
        pair = state_of(row)
        op = operation(pair, face is not None)
        if op is None:
            write(row, wait_for_face(pair))
            return None
        command_id = str(uuid.uuid4())
        sent = dispatched(pair, command_id, utcnow())
        command = build(inputs, gate, worker, face, op=op, command_id=command_id, sequence=sent.sequence)
        write(row, sent)
        if face is not None and op == ENROL:
            row.face_sha256 = face.sha256
        return target, command


def _pending(session: Session, limit: int, window: int) -> list[GatePerson]:
    """Pending pairs of gates that can take them, revokes first; enrols only for gates with room in their window
    (a gate that does not answer must not fill the batch and hold back every other gate)."""
    full = (select(GatePerson.gate_id).where(GatePerson.state == SENT).group_by(GatePerson.gate_id)
            .having(func.count() >= window))
    query = (select(GatePerson).join(Gate, Gate.id == GatePerson.gate_id)
             .where(GatePerson.state == PENDING, Gate.enabled.is_(True), Gate.reported_online.is_not(False),
                    (GatePerson.wanted == OFF) | GatePerson.gate_id.not_in(full))
             .order_by((GatePerson.wanted == OFF).desc(), GatePerson.updated_at)
             .limit(limit).with_for_update(skip_locked=True, of=GatePerson))
    return list(session.scalars(query))


def _in_flight(session: Session, gate_ids: set[str]) -> dict[str, int]:
    rows = session.execute(select(GatePerson.gate_id, func.count()).where(
        GatePerson.gate_id.in_(gate_ids), GatePerson.state == SENT).group_by(GatePerson.gate_id))
    return {gate_id: int(n) for gate_id, n in rows}


def dispatch_commands(settings: Settings, db: Database, stop: threading.Event) -> None:
    """The chore, on the gate broker. Without one no gate can be reached: it ends at once, and the pairs stay
    pending (shown on the gate-sync page) until the platform runs with one."""
    broker = gate_broker_url(settings)
    if not broker:
        log.info("gate_dispatch_off", why="no gate broker (REALNAME_GATE_AMQP_URL): gates cannot be reached")
        return
    idle = float(settings.value(DISPATCH_IDLE))
    with ConfirmingPublisher(broker, connection_name="attendance-gate-dispatcher") as publisher:
        sender = CommandSender(publisher, broker, settings.bus_prefix)
        dispatcher = Dispatcher(db, sender, shared_keyring(settings), int(settings.value(GATE_WINDOW)),
                                int(settings.value(DISPATCH_BATCH)))
        while not stop.is_set():
            try:
                sent = dispatcher.round()
            except Exception as exc:  # the broker or the database is away: the pairs wait, the next round retries
                log.warning("gate_dispatch_failed", error=repr(exc)[:300])
                sent = 0
            if not sent:
                stop.wait(idle)
