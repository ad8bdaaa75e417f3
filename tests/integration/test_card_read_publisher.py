"""Card reads reach the broker at least once, whatever happens to the connection on the way (real RabbitMQ)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pika
import pytest

from realname_codes.card_seal import CardSeal, new_seal_key
from realname_edge.card import CardRecord
from realname_edge.drivers.simulator import SimulatorDriver
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool
from realname_kit.bus.envelope import Envelope
from tests.support.faultproxy import FaultProxy
from tests.support.infra import amqp_url, free_port, unique_prefix

EMPLOYER = "employer-7"
KEY = new_seal_key()
READS = 1_000


@dataclass
class Broker:
    """A durable exchange and a queue bound to ``card.read`` of this test's own, deleted afterwards."""

    channel: Any
    exchange: str
    queue: str

    def drain(self) -> list[tuple[Any, Any, bytes]]:
        messages: list[tuple[Any, Any, bytes]] = []
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return messages
            messages.append((method, properties, body))


@pytest.fixture
def broker() -> Iterator[Broker]:
    prefix = unique_prefix()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url()))
    channel = connection.channel()
    found = Broker(channel, f"{prefix}.edge-reader.events", f"{prefix}.identity.card-reads")
    channel.exchange_declare(found.exchange, exchange_type="topic", durable=True)
    channel.queue_declare(found.queue, durable=True)
    channel.queue_bind(found.queue, found.exchange, routing_key="card.read")
    try:
        yield found
    finally:
        channel.queue_delete(found.queue)
        channel.exchange_delete(found.exchange)
        connection.close()


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[CardSpool]:
    with CardSpool(tmp_path / "spool.sqlite3") as s:
        yield s


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    parts = urlsplit(amqp_url())
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672) as p:
        yield p


def url_to(port: int) -> str:
    parts = urlsplit(amqp_url())
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return urlunsplit((parts.scheme, f"{netloc}:{port}", parts.path, parts.query, ""))


def cards() -> Iterator[CardRecord]:
    driver = SimulatorDriver(today=lambda: date(2026, 1, 15))
    driver.open()
    while True:
        yield driver.read_card(1.0)


def test_a_read_arrives_once_as_a_persistent_card_read_envelope_and_leaves_the_spool(
        broker: Broker, spool: CardSpool) -> None:
    card = next(cards())
    with CardReadPublisher(amqp_url(), broker.exchange, EMPLOYER, spool, seal_key=KEY) as publisher:
        read_id = publisher.record_read(card)

    assert spool.count() == 0
    ((method, properties, body),) = broker.drain()
    assert method.routing_key == "card.read"
    assert properties.message_id == read_id
    assert properties.delivery_mode == 2
    assert properties.content_type == "application/json"
    envelope = Envelope.from_json(body)
    assert (envelope.id, envelope.type, envelope.source) == (read_id, "card.read", "edge-reader")
    assert set(envelope.data) == {"read_id", "employer_id", "sealed_card"}  # no field of the card in clear
    assert (envelope.data["read_id"], envelope.data["employer_id"]) == (read_id, EMPLOYER)
    opened = CardSeal(KEY, properties.user_id).open(read_id, envelope.data)
    assert opened == card.to_event()
    assert CardRecord.from_event(opened) == card


def test_reads_made_while_the_broker_is_unreachable_stay_spooled_and_go_out_on_the_next_call(
        broker: Broker, spool: CardSpool) -> None:
    reader = cards()
    with CardReadPublisher(url_to(free_port()), broker.exchange, EMPLOYER, spool, seal_key=KEY,
                           confirm_timeout=2) as offline:
        started = time.monotonic()
        first, second = offline.record_read(next(reader)), offline.record_read(next(reader))
        assert time.monotonic() - started < 4
        assert offline.publish_pending() == 0
    assert [read.read_id for read in spool.pending(10)] == [first, second]

    with CardReadPublisher(amqp_url(), broker.exchange, EMPLOYER, spool, seal_key=KEY) as online:
        assert online.publish_pending() == 2

    assert spool.count() == 0
    assert [properties.message_id for _, properties, _ in broker.drain()] == [first, second]


def test_a_thousand_reads_through_cut_and_refused_connections_all_arrive_and_the_spool_empties(
        broker: Broker, spool: CardSpool, proxy: FaultProxy) -> None:
    publisher = CardReadPublisher(url_to(proxy.port), broker.exchange, EMPLOYER, spool, seal_key=KEY,
                                  confirm_timeout=5)
    read_ids: list[str] = []
    spooled_in_outage = cuts = 0
    stop = threading.Event()

    def cut_at_random() -> None:  # mid-flight cuts: a read the broker took may lose its confirm
        nonlocal cuts
        while not stop.wait(random.uniform(0.05, 0.3)):
            cuts += proxy.drop_connections()

    cutter = threading.Thread(target=cut_at_random, daemon=True)
    cutter.start()
    try:
        reader = cards()
        for n in range(READS):
            if n in (100, 300, 700, 850):
                cuts += proxy.drop_connections()
            if n == 450:
                proxy.refuse(True)
                cuts += proxy.drop_connections()
            if n == 550:
                spooled_in_outage = spool.count()
                proxy.refuse(False)
            read_ids.append(publisher.record_read(next(reader)))
    finally:
        stop.set()
        cutter.join()

    assert cuts >= 4
    assert spooled_in_outage >= 100  # nothing could go out while the broker refused us, yet nothing was lost
    publisher.publish_pending()
    publisher.close()
    assert spool.count() == 0

    delivered = [properties.message_id for _, properties, _ in broker.drain()]
    missing = set(read_ids) - set(delivered)
    duplicates = len(delivered) - len(set(delivered))
    print(f"\n{READS} reads, {cuts} connections cut, {len(delivered)} delivered, {duplicates} duplicates")
    assert len(set(read_ids)) == READS
    assert missing == set()
    assert set(delivered) == set(read_ids)  # at least once, and nothing else


def test_a_read_no_queue_would_take_is_not_counted_as_sent_and_stays_spooled(
        broker: Broker, spool: CardSpool) -> None:
    unbound = broker.exchange + ".unbound"
    broker.channel.exchange_declare(unbound, exchange_type="topic", durable=True)
    try:
        with CardReadPublisher(amqp_url(), unbound, EMPLOYER, spool, seal_key=KEY) as publisher:
            read_id = publisher.record_read(next(cards()))
            assert publisher.publish_pending() == 0
    finally:
        broker.channel.exchange_delete(unbound)

    assert [read.read_id for read in spool.pending(10)] == [read_id]


def test_a_broker_that_takes_the_connection_and_never_answers_leaves_the_read_spooled(
        broker: Broker, spool: CardSpool, proxy: FaultProxy) -> None:
    proxy.hold_downstream(True)  # the TCP connection opens; the AMQP handshake never comes back
    with CardReadPublisher(url_to(proxy.port), broker.exchange, EMPLOYER, spool, seal_key=KEY,
                           confirm_timeout=1) as publisher:
        read_id = publisher.record_read(next(cards()))
        assert publisher.publish_pending() == 0
    assert [read.read_id for read in spool.pending(10)] == [read_id]
