"""The reconciliation chore: every so often (and as soon as a gate is back online) each online gate is sent a
``digest`` of what it should hold; the answer is compared in ``reconcile.digest_answered``. Keys found there that
name no worker of ours are revoked from here (they have no pair to drive). It also sends the time to gates whose
clock is off (``clock``), and sends again what a reachable gate never answered (``unanswered``)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realname_attendance.clock import clock_commands
from realname_attendance.command_sender import CommandSender, SendsCommands
from realname_attendance.models import Gate, Reconciliation
from realname_attendance.reconcile import wanted_on
from realname_attendance.settings import DISPATCH_IDLE, RECONCILE_MINUTES, UNANSWERED_MINUTES, gate_broker_url
from realname_attendance.targets import command_target
from realname_attendance.unanswered import resend_unanswered
from realname_codes.gate_protocol import DIGEST, REVOKE, Command, Digest
from realname_kit.bus.confirming_publisher import ConfirmingPublisher
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


@dataclass
class Reconciler:
    db: Database
    sender: SendsCommands
    every: timedelta
    unanswered_after: timedelta = timedelta(minutes=15)

    def round(self, now: datetime | None = None) -> int:
        """The time to gates whose clock is off, digests to the gates that are due, revokes of strangers found; the
        number of commands published."""
        now = now or utcnow()
        with self.db.transaction() as session:
            resend_unanswered(session, now, self.unanswered_after)
            commands = clock_commands(session, now) + self._digests(session, now) + self._strangers(session)
            self.sender.send(commands)
        return len(commands)

    def _digests(self, session: Session, now: datetime) -> list[tuple[str, Command]]:
        last = (select(Reconciliation.gate_id, func.max(Reconciliation.asked_at).label("asked_at"))
                .group_by(Reconciliation.gate_id).subquery())
        due = (select(Gate).outerjoin(last, last.c.gate_id == Gate.id)
               .where(Gate.enabled.is_(True), Gate.reported_online.is_(True),
                      last.c.asked_at.is_(None) | (last.c.asked_at < now - self.every)
                      | (Gate.online_since.is_not(None) & (last.c.asked_at < Gate.online_since)))
               .with_for_update(skip_locked=True, of=Gate))
        commands = []
        for gate in session.scalars(due):
            target = command_target(session, gate)
            if target is None:
                continue
            command_id = str(uuid.uuid4())
            session.add(Reconciliation(gate_id=gate.id, command_id=command_id, asked_at=now))
            people = Digest(wanted_on(session, gate.id)).pairs()
            commands.append((target, Command(command_id=command_id, op=DIGEST, device=gate.serial, people=people)))
        return commands

    def _strangers(self, session: Session) -> list[tuple[str, Command]]:
        answered = session.scalars(select(Reconciliation).where(Reconciliation.revoke_keys.is_not(None))
                                   .with_for_update(skip_locked=True))
        commands = []
        for reconciliation in answered:
            keys, reconciliation.revoke_keys = list(reconciliation.revoke_keys or []), None
            gate = session.get(Gate, reconciliation.gate_id)
            target = command_target(session, gate) if gate is not None and gate.enabled else None
            if gate is None or target is None:
                continue  # the next reconciliation finds them again
            commands += [(target, Command(command_id=str(uuid.uuid4()), op=REVOKE, device=gate.serial, worker_key=k))
                         for k in keys]
        return commands


def reconcile_gates(settings: Settings, db: Database, stop: threading.Event) -> None:
    """The chore, on the gate broker. Without one no gate can be reached: it ends at once."""
    broker = gate_broker_url(settings)
    if not broker:
        log.info("gate_reconciliation_off", why="no gate broker (REALNAME_GATE_AMQP_URL): gates cannot be reached")
        return
    every = timedelta(minutes=float(settings.value(RECONCILE_MINUTES)))
    idle = max(float(settings.value(DISPATCH_IDLE)), 1.0)
    with ConfirmingPublisher(broker, connection_name="attendance-gate-reconciler") as publisher:
        reconciler = Reconciler(db, CommandSender(publisher, broker, settings.bus_prefix), every,
                                timedelta(minutes=float(settings.value(UNANSWERED_MINUTES))))
        while not stop.is_set():
            try:
                reconciler.round()
            except Exception as exc:  # the broker or the database is away: the next round asks again
                log.warning("gate_reconciliation_failed", error=repr(exc)[:300])
            stop.wait(idle)
