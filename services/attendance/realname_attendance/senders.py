"""Which gate a message from a gate or a site bridge is about, checked against the broker account that sent it.

RabbitMQ vouches for the publishing account (AMQP ``user_id``); the device a message names must be that account's
own native gate, or a gate registered behind that account's bridge. Anything else can never be handled.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from realname_attendance.models import Bridge, Gate
from realname_kit.bus.processing import PoisonMessage


def gate_of_sender(session: Session, sender: str | None, serial: str, *, lock: bool = False) -> Gate:
    """The gate ``serial`` that ``sender`` speaks for; PoisonMessage (dead-lettered with the reason) otherwise."""
    if not sender:
        raise PoisonMessage("a gate message without the publishing account (user_id): refused")
    query = select(Gate).where(Gate.serial == serial, _spoken_for(sender))
    if lock:
        query = query.with_for_update()
    gate = session.scalars(query).first()
    if gate is None:
        raise PoisonMessage(f"account {sender!r} does not speak for a gate {serial!r}: refused")
    return gate


def gates_of_senders(session: Session, named: set[tuple[str | None, str]]) -> dict[tuple[str | None, str], Gate]:
    """``gate_of_sender`` for many (sender, serial) at once, in one statement (a batch of answers from many
    gates); PoisonMessage for the first that is not the sender's."""
    senders = {sender for sender, _ in named if sender}
    rows = session.execute(select(Gate, Bridge.account).outerjoin(Bridge, Bridge.id == Gate.bridge_id)
                           .where(Gate.serial.in_({serial for _, serial in named}),
                                  Gate.account.in_(senders) | Bridge.account.in_(senders)))
    found: dict[tuple[str | None, str], Gate] = {}
    for gate, bridge_account in rows:
        for sender in {gate.account, bridge_account} & senders:
            found.setdefault((sender, gate.serial), gate)
    for sender, serial in sorted(named, key=str):
        if (sender, serial) not in found:
            gate_of_sender(session, sender, serial)  # raises with the reason, as for one message
    return found


def bridge_of_sender(session: Session, sender: str | None) -> Bridge | None:
    """The bridge whose account sent the message; None for a native gate's account or an unknown one."""
    if not sender:
        return None
    return session.scalars(select(Bridge).where(Bridge.account == sender)).first()


def gates_of_sender(session: Session, sender: str) -> dict[str, Gate]:
    """Every gate ``sender`` speaks for, by serial: a native gate's own, or those registered behind its bridge."""
    return {gate.serial: gate for gate in session.scalars(select(Gate).where(_spoken_for(sender)))}


def _spoken_for(sender: str) -> ColumnElement[bool]:
    bridge_id = select(Bridge.id).where(Bridge.account == sender).scalar_subquery()
    return (Gate.account == sender) | (Gate.bridge_id == bridge_id)
