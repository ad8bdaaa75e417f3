"""Reads from edge-readers reach the identity service over their own broker accounts and are verified (R1, R3).

Real RabbitMQ (its management API makes the accounts), PostgreSQL, the identity consumer and relay as processes,
the authority's simulator in the test.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions
import pytest
from flask.testing import FlaskClient
from kombu import Connection, Queue, binding

from realname_codes.card_seal import CardSeal
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool
from realname_identity.app import create_app
from realname_kit.bus.envelope import Envelope
from tests.support.authority import RunningAuthority
from tests.support.cards import drain_envelopes, json_of, person, record_of
from tests.support.faultproxy import FaultProxy
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer

ACCOUNTS = "/api/v1/identity/reader-accounts"
READS = 1_000
PEOPLE = [person(n) for n in range(READS)]


@dataclass
class Edge:
    stack: Stack
    client: FlaskClient
    headers: dict[str, str]
    employer_id: str
    events: str

    def open_account(self) -> dict[str, Any]:
        answer = self.client.post(ACCOUNTS, headers=self.headers)
        assert answer.status_code == 201, json_of(answer)
        return dict(json_of(answer))

    def verified(self) -> int:
        return self.stack.count("identity", "SELECT count(*) FROM card_reads WHERE status = 'verified'")

    def announced(self) -> list[Envelope]:
        return drain_envelopes(self.stack.amqp, self.events)


@pytest.fixture
def edge(stack: Stack, tmp_path: Path) -> Iterator[Edge]:
    stack.migrate("identity")
    stack.declare()
    events = f"{stack.prefix}.test.verified"
    with Connection(stack.amqp) as conn:
        Queue(events, bindings=[binding(stack.topology.exchange("identity"), routing_key="identity.verified")],
              durable=False)(conn.default_channel).declare()
    with RunningAuthority(tmp_path, PEOPLE, latency_seconds=0.01) as authority:
        env = {"REALNAME_IDENTITY_AUTHORITY_URL": authority.url}
        stack.spawn("consumer", "identity", **env)
        stack.spawn("relay", "identity", **env)
        employer_id = str(uuid.uuid4())
        found = Edge(stack, create_app(stack.settings, stack.db("identity")).test_client(),
                     bearer(stack.settings, "labour", enterprise_id=employer_id), employer_id, events)
        yield found
        for account in json_of(found.client.get(ACCOUNTS, headers=found.headers))["items"]:
            found.client.delete(f"{ACCOUNTS}/{account['username']}", headers=found.headers)
        with Connection(stack.amqp) as conn:
            Queue(events)(conn.default_channel).delete()


def via(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"{parts.netloc.rsplit(':', 1)[0]}:{port}", parts.path, "", ""))


def test_a_read_published_with_the_employers_reader_account_is_verified_as_the_employers(
        edge: Edge, tmp_path: Path) -> None:
    account = edge.open_account()
    assert account["exchange"] == f"{edge.stack.prefix}.edge.events" and account["password"]
    with CardSpool(tmp_path / "spool.sqlite") as spool, \
            CardReadPublisher(account["amqp_url"], account["exchange"], edge.employer_id, spool,
                              seal_key=account["seal_key"]) as publisher:
        read_id = publisher.record_read(record_of(PEOPLE[0]))
        assert spool.count() == 0
    eventually(edge.verified, timeout=60)
    read = json_of(edge.client.get(f"/api/v1/identity/card-reads/{read_id}", headers=edge.headers))
    assert (read["status"], read["source"], read["employer_id"]) == ("verified", "edge", edge.employer_id)
    assert read["has_photo"] is True


def test_a_reader_account_may_publish_card_reads_and_nothing_else(edge: Edge) -> None:
    account = edge.open_account()
    connection = pika.BlockingConnection(pika.URLParameters(account["amqp_url"]))
    try:
        for exchange, key in ((edge.stack.topology.exchange_name("identity"), "identity.verified"),
                              (account["exchange"], "worker.registered")):
            channel = connection.channel()
            channel.confirm_delivery()
            with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
                channel.basic_publish(exchange, key, b"{}")
            assert refused.value.reply_code == 403
        channel = connection.channel()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker):  # nor read what others publish
            channel.basic_get(f"{edge.stack.prefix}.identity.card-reads")
    finally:
        connection.close()


def test_a_read_claiming_another_employer_is_dead_lettered_and_stores_nothing(edge: Edge, tmp_path: Path) -> None:
    account = edge.open_account()
    with CardSpool(tmp_path / "spool.sqlite") as spool, \
            CardReadPublisher(account["amqp_url"], account["exchange"], str(uuid.uuid4()), spool,
                              seal_key=account["seal_key"]) as publisher:
        publisher.record_read(record_of(PEOPLE[1]))
    dead = f"{edge.stack.prefix}.identity.card-reads.dead"
    eventually(lambda: edge.stack.queue_depth(dead) == 1, timeout=30)
    assert edge.stack.count("identity", "SELECT count(*) FROM card_reads") == 0


def test_a_plain_read_and_a_card_sealed_for_another_account_are_dead_lettered_with_their_reason_and_stored_not(
        edge: Edge, tmp_path: Path) -> None:
    mine, other = edge.open_account(), edge.open_account()
    replayed_id, plain_id = str(uuid.uuid4()), str(uuid.uuid4())
    sealed_for_mine = CardSeal(mine["seal_key"], mine["username"]).seal(replayed_id, record_of(PEOPLE[2]).to_event())
    with CardSpool(tmp_path / "spool.sqlite") as spool, \
            CardReadPublisher(other["amqp_url"], other["exchange"], edge.employer_id, spool,
                              seal_key=other["seal_key"]) as publisher:
        spool.add(replayed_id, sealed_for_mine)  # my reader's sealed card, sent again by another account
        spool.add(plain_id, record_of(PEOPLE[3]).to_event())  # a card in clear, as readers sent them before
        assert publisher.publish_pending() == 2
    dead = f"{edge.stack.prefix}.identity.card-reads.dead"
    eventually(lambda: edge.stack.queue_depth(dead) == 2, timeout=30)
    with Connection(edge.stack.amqp) as conn:
        channel = conn.channel()
        letters = [channel.basic_get(dead, no_ack=False) for _ in range(2)]
        channel.close()
    reasons = {m.properties["message_id"]: m.headers["x-realname-reason"] for m in letters if m is not None}
    assert "card_read_unsealable" in reasons[replayed_id] and "card_read_not_sealed" in reasons[plain_id]
    assert edge.stack.count("identity", "SELECT count(*) FROM card_reads") == 0


def test_a_revoked_reader_account_can_no_longer_connect(edge: Edge) -> None:
    account = edge.open_account()
    assert edge.client.delete(f"{ACCOUNTS}/{account['username']}", headers=edge.headers).status_code == 204
    listed = json_of(edge.client.get(ACCOUNTS, headers=edge.headers))["items"]
    assert [a["revoked_at"] is not None for a in listed] == [True]
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        pika.BlockingConnection(pika.URLParameters(account["amqp_url"]))


def test_a_thousand_reads_through_cut_connections_are_all_verified_once(edge: Edge, tmp_path: Path) -> None:
    account = edge.open_account()
    parts = urlsplit(account["amqp_url"])
    stop = threading.Event()
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672) as proxy, \
            CardSpool(tmp_path / "spool.sqlite") as spool, \
            CardReadPublisher(via(account["amqp_url"], proxy.port), account["exchange"], edge.employer_id, spool,
                              seal_key=account["seal_key"], confirm_timeout=5) as publisher:
        def cut_at_random() -> None:  # mid-flight cuts: a read the broker took may lose its confirm
            while not stop.wait(random.uniform(0.05, 0.3)):
                proxy.drop_connections()

        cutter = threading.Thread(target=cut_at_random, daemon=True)
        cutter.start()
        try:
            read_ids = [publisher.record_read(record_of(someone)) for someone in PEOPLE]
        finally:
            stop.set()
            cutter.join()
        eventually(lambda: publisher.publish_pending() >= 0 and spool.count() == 0, timeout=60, interval=0.5)
    eventually(lambda: edge.verified() == READS, timeout=120, interval=0.5)
    events: list[Envelope] = []

    def all_announced() -> bool:
        events.extend(edge.announced())
        return len(events) >= READS

    eventually(all_announced, timeout=30)
    assert sorted(e.data["read_id"] for e in events) == sorted(read_ids)  # each verified, none twice
