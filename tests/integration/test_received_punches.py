"""Punches from the gates (R27) are kept exactly once, as the gate sent them, from the gate's own broker account:
a punch or a whole batch sent again is one row each; a punch naming another gate, or a time without its offset, is
dead-lettered and kept nowhere. Real broker and database; the attendance consumer runs as in production."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pika
import pytest
from kombu import Connection
from sqlalchemy import func, select

from realname_attendance.models import ReceivedPunch
from realname_codes.gate_protocol import PUNCHED, Punch, encode, exchange_in
from tests.support.gate_site import Site
from tests.support.stack import Stack, eventually

SETTLE_S = 60.0
CHINA = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def platform(module_stack: Stack) -> Stack:
    module_stack.migrate("attendance")
    module_stack.declare()
    module_stack.spawn("consumer", "attendance")
    eventually(lambda: _consuming(module_stack), 120)
    return module_stack


def _consuming(stack: Stack) -> bool:
    with Connection(stack.amqp) as conn:
        _, _, consumers = conn.default_channel.queue_declare(queue=stack.queue_name("attendance", "punches"),
                                                             passive=True)
        return bool(consumers)


@pytest.fixture
def site(platform: Stack) -> Iterator[Site]:
    s = Site(platform)
    try:
        yield s
    finally:
        s.close()


def send(site: Site, gate_id: str, *punches: Punch) -> None:
    """Publish as the gate does: from its own account, persistent, with confirms."""
    responder = site.responders[gate_id]
    connection = pika.BlockingConnection(pika.URLParameters(responder.url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for punch in punches:
            channel.basic_publish(exchange_in(site.stack.settings.bus_prefix), PUNCHED,
                                  encode(punch, source=responder.account),
                                  pika.BasicProperties(delivery_mode=2, user_id=responder.account), mandatory=True)
    finally:
        connection.close()


def kept(site: Site, gate_id: str) -> list[tuple[str, str, datetime, int]]:
    with site.stack.db("attendance").transaction() as session:
        return [(p.event_key, p.worker_key, p.at, p.offset_minutes) for p in session.scalars(
            select(ReceivedPunch).where(ReceivedPunch.gate_id == gate_id).order_by(ReceivedPunch.at))]


def punch(serial: str, key: str, at: datetime) -> Punch:
    return Punch(device=serial, worker_key=key, at=at.isoformat(), event_key=f"{serial}:{key}:{at:%Y%m%d%H%M%S}",
                 direction="in")


def test_a_punch_and_a_batch_sent_again_and_again_are_kept_once_each_with_their_own_offset(site: Site) -> None:
    gate = site.gate("东门")
    serial = site.devices[gate].serial
    morning = datetime.now(CHINA).replace(microsecond=0) - timedelta(hours=1)
    batch = [punch(serial, str(1000 + n), morning + timedelta(seconds=n)) for n in range(20)]
    for _ in range(10):  # a ZKTeco terminal that never read its OK:<n> sends the same batch again
        send(site, gate, *batch)
    eventually(lambda: len(kept(site, gate)) == 20 and site.stack.queue_depth(
        site.stack.queue_name("attendance", "punches")) == 0, SETTLE_S)
    rows = kept(site, gate)
    assert [r[0] for r in rows] == [p.event_key for p in batch]
    assert {r[3] for r in rows} == {480}
    assert rows[0][2] == morning


def test_a_punch_naming_another_gate_or_without_its_offset_is_dead_lettered_and_kept_nowhere(site: Site) -> None:
    east, west = site.gate("东门"), site.gate("西门")
    dead = f"{site.stack.queue_name('attendance', 'punches')}.dead"
    before = site.stack.queue_depth(dead)
    now = datetime.now(CHINA)
    as_west = punch(site.devices[west].serial, "2001", now)
    no_offset = Punch(device=site.devices[east].serial, worker_key="2002", at=now.replace(tzinfo=None).isoformat(),
                      event_key=f"{uuid.uuid4()}")
    send(site, east, as_west, no_offset)
    eventually(lambda: site.stack.queue_depth(dead) == before + 2, SETTLE_S)
    with site.stack.db("attendance").transaction() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedPunch).where(
            ReceivedPunch.gate_id.in_([east, west]))) == 0
