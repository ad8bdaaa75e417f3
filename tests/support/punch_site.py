"""Punches as gates and site bridges send them, to a real attendance consumer: workers and admissions written as
the assignment events leave them, punches published from the sender's own broker account, and what was kept."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pika
from sqlalchemy import select

from realname_attendance.models import Admission, Bridge, LedgerDirtyDay, Punch, Worker
from realname_codes.gate_protocol import PUNCHED, encode, exchange_in
from realname_codes.gate_protocol import Punch as PunchMessage
from tests.support.gate_responder import gate_account
from tests.support.gate_site import Site

CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Account:
    name: str
    url: str  # with its credentials


def native_account(site: Site, gate_id: str) -> Account:
    responder = site.responders[gate_id]
    return Account(responder.account, responder.url)


def bridge_account(site: Site) -> Account:
    """A site bridge of the project with a broker account of its own (and no gate behind it yet)."""
    name, url = gate_account(site.stack.amqp, site.stack.settings.bus_prefix, f"bridge-{uuid.uuid4().hex[:8]}")
    with site.stack.db("attendance").transaction() as session:
        session.add(Bridge(project_id=site.project_id, name="工地网关", account=name, created_by="test"))
    return Account(name, url)


def worker(site: Site, *, entry_at: datetime | None, exited_at: datetime | None = None) -> tuple[str, str]:
    """A worker admitted to the site's project from ``entry_at`` (None: never admitted): (worker id, gate key)."""
    worker_id = str(uuid.uuid4())
    with site.stack.db("attendance").transaction() as session:
        row = Worker(worker_id=worker_id, employer_id=site.employer_id)
        session.add(row)
        if entry_at is not None:
            session.add(Admission(assignment_id=str(uuid.uuid4()), project_id=site.project_id, worker_id=worker_id,
                                  employer_id=site.employer_id, status="exited" if exited_at else "accepted",
                                  entry_at=entry_at, exited_at=exited_at))
        session.flush()
        return worker_id, str(row.key)


def punch(serial: str, key: str, at: datetime, direction: str | None = "in") -> PunchMessage:
    """A punch with the device's own event identity, as a ZKTeco terminal makes it (SN:PIN:time)."""
    return PunchMessage(device=serial, worker_key=key, at=at.isoformat(), direction=direction,
                        event_key=f"{serial}:{key}:{at:%Y%m%d%H%M%S}")


def send(site: Site, account: Account, *punches: PunchMessage | bytes) -> None:
    """Publish as a gate does: from its own account, persistent, with confirms (bytes: sent as they are)."""
    connection = pika.BlockingConnection(pika.URLParameters(account.url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for message in punches:
            body = message if isinstance(message, bytes) else encode(message, source=account.name)
            channel.basic_publish(exchange_in(site.stack.settings.bus_prefix), PUNCHED, body,
                                  pika.BasicProperties(delivery_mode=2, user_id=account.name), mandatory=True)
    finally:
        connection.close()


def kept(site: Site, device: str) -> list[Punch]:
    with site.stack.db("attendance").transaction() as session:
        rows = list(session.scalars(select(Punch).where(Punch.device == device).order_by(Punch.at)))
        session.expunge_all()
        return rows


def dirty_days(site: Site, worker_id: str) -> set[tuple[str, str, object]]:
    with site.stack.db("attendance").transaction() as session:
        return {(d.worker_id, d.project_id, d.day) for d in session.scalars(
            select(LedgerDirtyDay).where(LedgerDirtyDay.worker_id == worker_id))}
