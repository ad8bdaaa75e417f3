"""The bus keeps its promises when processes die and connections drop: every count is exact."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from kombu import Connection, Producer, Queue
from sqlalchemy import text

from realname_kit.bus.consumer import QUEUE_HEADER, REASON_HEADER
from realname_kit.bus.topology import Topology
from realname_registry.enterprises import register_enterprise
from tests.support.faultproxy import FaultProxy
from tests.support.stack import Stack, eventually

USCC = "91350100M000100Y43"
PARTIES = "SELECT count(*) FROM parties"
INBOX = "SELECT count(*) FROM inbox"
PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


@pytest.fixture
def proxy(stack: Stack) -> Iterator[FaultProxy]:
    parts = urlsplit(stack.amqp)
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672) as p:
        yield p


def through(stack: Stack, proxy: FaultProxy) -> str:
    parts = urlsplit(stack.amqp)
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return urlunsplit((parts.scheme, f"{netloc}:{proxy.port}", parts.path, parts.query, ""))


@pytest.fixture
def ready(stack: Stack) -> Stack:
    stack.migrate("registry", "assignment", "reporting")
    stack.declare()
    return stack


def test_a_relay_killed_before_the_confirm_leaves_the_event_to_be_delivered_and_handled_once(
        ready: Stack, proxy: FaultProxy) -> None:
    queue = ready.queue_name("assignment", "enterprises")
    relay = ready.spawn("relay", "registry", REALNAME_AMQP_URL=through(ready, proxy))
    # Its publisher's connection, and its presence's (readiness counts the relay by it): both held below.
    eventually(lambda: proxy.connection_count == 2 and proxy.bytes_downstream > 0, timeout=30)
    time.sleep(0.5)  # the relay has opened its channel and put it in confirm mode
    proxy.hold_downstream(True)  # the broker's confirms never reach the relay
    register_enterprise(ready.db("registry"), "上海建工劳务有限公司", USCC, "labour")  # the commit
    eventually(lambda: ready.queue_depth(queue) == 1)  # the broker has it; the relay waits for the confirm
    relay.send_signal(signal.SIGKILL)
    relay.wait()
    assert ready.count("registry", PENDING) == 1  # not marked: it will be published again

    ready.spawn("relay", "registry")
    eventually(lambda: ready.count("registry", PENDING) == 0)
    assert ready.queue_depth(queue) == 2  # delivered twice: at least once
    consumer = ready.spawn("consumer", "assignment")
    eventually(lambda: ready.count("assignment", PARTIES) == 1)
    eventually(lambda: ready.queue_depth(queue) == 0)
    stop_gracefully(consumer)  # what it had not acknowledged would now be back in the queue
    assert ready.queue_depth(queue) == 0  # both copies handled and acknowledged
    assert ready.count("assignment", PARTIES) == 1  # effect once
    assert ready.count("assignment", INBOX) == 1
    assert ready.queue_depth(f"{queue}.dead") == 0


def test_a_consumer_killed_mid_handler_gets_the_message_again_and_its_effect_happens_once(
        ready: Stack) -> None:
    queue = ready.queue_name("assignment", "enterprises")
    ready.spawn("relay", "registry")
    register_enterprise(ready.db("registry"), "上海建工劳务有限公司", USCC, "labour")
    eventually(lambda: ready.queue_depth(queue) == 1)
    with ready.db("assignment").engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE parties IN ACCESS EXCLUSIVE MODE"))  # the handler stops inside
        consumer = ready.spawn("consumer", "assignment")
        eventually(lambda: _waiting_on_lock(ready))
        consumer.send_signal(signal.SIGKILL)
        consumer.wait()
        blocker.rollback()
    eventually(lambda: ready.queue_depth(queue) == 1)  # back in the queue, unacknowledged
    consumer = ready.spawn("consumer", "assignment")
    eventually(lambda: ready.count("assignment", PARTIES) == 1)
    stop_gracefully(consumer)
    assert ready.queue_depth(queue) == 0
    assert ready.count("assignment", PARTIES) == 1
    assert ready.count("assignment", INBOX) == 1


def test_a_consumer_killed_after_its_commit_but_before_its_ack_has_no_second_effect(
        ready: Stack, proxy: FaultProxy) -> None:
    queue = ready.queue_name("assignment", "enterprises")
    ready.spawn("relay", "registry")
    consumer = ready.spawn("consumer", "assignment", REALNAME_AMQP_URL=through(ready, proxy))
    eventually(lambda: proxy.connection_count >= 1)
    time.sleep(1.0)  # consuming
    proxy.hold_upstream(True)  # its ack will not reach the broker
    register_enterprise(ready.db("registry"), "上海建工劳务有限公司", USCC, "labour")
    eventually(lambda: ready.count("assignment", PARTIES) == 1)  # committed
    consumer.send_signal(signal.SIGKILL)
    consumer.wait()
    proxy.drop_connections()
    eventually(lambda: ready.queue_depth(queue) == 1)  # the broker gives it back
    second = ready.spawn("consumer", "assignment")
    eventually(lambda: ready.queue_depth(queue) == 0)
    time.sleep(1.0)  # the redelivery is handled: the inbox knows it, so nothing happens
    stop_gracefully(second)
    assert ready.queue_depth(queue) == 0  # acknowledged, not merely taken
    assert ready.count("assignment", PARTIES) == 1
    assert ready.count("assignment", INBOX) == 1
    assert ready.queue_depth(f"{queue}.dead") == 0


def test_connections_cut_mid_stream_reconnect_and_lose_nothing(ready: Stack, proxy: FaultProxy) -> None:
    url = through(ready, proxy)
    ready.spawn("relay", "registry", REALNAME_AMQP_URL=url)
    ready.spawn("consumer", "assignment", REALNAME_AMQP_URL=url)
    eventually(lambda: proxy.connection_count >= 2, timeout=15)
    codes = _valid_codes(300)
    writer = threading.Thread(target=lambda: [
        register_enterprise(ready.db("registry"), f"劳务公司{i}", code, "labour") for i, code in enumerate(codes)])
    writer.start()
    drops = 0
    while writer.is_alive() or drops < 3:
        time.sleep(0.4)
        drops += proxy.drop_connections() > 0
    writer.join()
    eventually(lambda: ready.count("assignment", PARTIES) == 300, timeout=60)
    assert drops >= 3
    assert ready.count("registry", PENDING) == 0
    assert ready.count("assignment", INBOX) == 300
    eventually(lambda: ready.queue_depth(ready.queue_name("assignment", "enterprises")) == 0)


def test_a_poison_message_is_dead_lettered_with_its_reason_and_not_redelivered(ready: Stack) -> None:
    queue = ready.queue_name("assignment", "enterprises")
    exchange = ready.topology.exchange("registry")
    with Connection(ready.amqp) as conn:
        producer = Producer(conn.default_channel, exchange=exchange)
        producer.publish(b"{not json", routing_key="enterprise.registered", content_type="application/json",
                         content_encoding="utf-8", message_id="poison-1")
        producer.publish({"id": "poison-2", "type": "enterprise.registered", "version": 1,
                          "occurred_at": "2026-11-25T00:00:00+00:00", "source": "registry",
                          "correlation_id": None, "data": {"name": "no id, no code"}},
                         routing_key="enterprise.registered", serializer="json")
    ready.spawn("consumer", "assignment")
    eventually(lambda: ready.queue_depth(f"{queue}.dead") == 2)
    time.sleep(1.0)
    assert ready.queue_depth(queue) == 0
    assert ready.queue_depth(f"{queue}.dead") == 2  # once each: not redelivered for ever
    with Connection(ready.amqp) as conn:
        dead = Queue(f"{queue}.dead", no_declare=True)(conn.default_channel)
        reasons = {}
        for _ in range(2):
            message = dead.get(no_ack=False)
            reasons[message.properties.get("message_id") or "poison-2"] = message.headers[REASON_HEADER]
            assert message.headers[QUEUE_HEADER] == queue
            message.ack()
    assert reasons["poison-1"].startswith("malformed_envelope")
    assert "PoisonMessage" in reasons["poison-2"] and "enterprise_id" in reasons["poison-2"]
    assert ready.count("assignment", PARTIES) == 0


def stop_gracefully(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def _waiting_on_lock(stack: Stack) -> bool:
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
           "AND wait_event_type = 'Lock'")
    return stack.count("assignment", sql) > 0


def _valid_codes(n: int) -> list[str]:
    from realname_codes.uscc import organisation_code_check_character, uscc_check_character
    codes = []
    for i in range(n):
        body = f"{10000000 + i:08d}"
        org = body + (organisation_code_check_character(body) or "")
        first17 = f"91310000{org}"
        codes.append(first17 + uscc_check_character(first17))
    return codes


def test_a_message_that_kills_every_consumer_is_dead_lettered_on_the_last_delivery_the_broker_allows(
        stack: Stack) -> None:
    """The broker would dead-letter it after one more death, silently; the consumer sees the delivery count on
    that last delivery (``x-delivery-count`` = the limit) and dead-letters it itself, so that a handler's
    ``when_dead_lettered`` hook runs (an import job fails instead of running for ever)."""
    stack.migrate("registry", "assignment")
    limit = 2
    topology = Topology(stack.settings.bus_prefix, delivery_limit=limit)
    with Connection(stack.amqp) as conn:
        topology.declare(conn)
    queue = stack.queue_name("assignment", "enterprises")
    stack.spawn("relay", "registry", REALNAME_DELIVERY_LIMIT=str(limit))
    register_enterprise(stack.db("registry"), "上海建工劳务有限公司", USCC, "labour")
    eventually(lambda: stack.queue_depth(queue) == 1)
    with stack.db("assignment").engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE parties IN ACCESS EXCLUSIVE MODE"))
        for _ in range(limit):  # every delivery the broker allows but the last ends with a death mid-handler
            consumer = stack.spawn("consumer", "assignment", REALNAME_DELIVERY_LIMIT=str(limit))
            eventually(lambda: _waiting_on_lock(stack), timeout=20)
            consumer.send_signal(signal.SIGKILL)
            consumer.wait()
            _end_orphaned_backends(stack)
        last = stack.spawn("consumer", "assignment", REALNAME_DELIVERY_LIMIT=str(limit))
        eventually(lambda: stack.queue_depth(f"{queue}.dead") == 1, timeout=30)
        blocker.rollback()
    last.kill()
    assert stack.queue_depth(queue) == 0
    with Connection(stack.amqp) as conn:
        dead = Queue(f"{queue}.dead", no_declare=True)(conn.default_channel).get(no_ack=False)
        assert dead.headers["x-realname-reason"].startswith("delivery_limit")
        assert dead.headers["x-realname-queue"] == queue
        dead.requeue()
    assert stack.count("assignment", PARTIES) == 0


def _end_orphaned_backends(stack: Stack) -> None:
    """The killed consumer's database session waits on the lock until it is ended."""
    sql = ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
           "WHERE datname = current_database() AND wait_event_type = 'Lock'")
    stack.count("assignment", sql)


def test_a_consumer_whose_database_is_down_keeps_its_messages_and_handles_them_when_it_returns(
        ready: Stack) -> None:
    queue = ready.queue_name("assignment", "enterprises")
    server = urlsplit(ready.settings.database_url_for("assignment"))
    with FaultProxy(server.hostname or "127.0.0.1", server.port or 5432) as database:
        through_proxy = server._replace(netloc=f"{server.netloc.rsplit(':', 1)[0]}:{database.port}").geturl()
        ready.spawn("relay", "registry")
        ready.spawn("consumer", "assignment", REALNAME_ASSIGNMENT_DATABASE_URL=through_proxy)
        time.sleep(1.0)
        database.refuse(True)
        database.drop_connections()  # the database is gone
        codes = _valid_codes(20)
        for i, code in enumerate(codes):
            register_enterprise(ready.db("registry"), f"劳务公司{i}", code, "labour")
        eventually(lambda: ready.count("registry", PENDING) == 0)
        time.sleep(3.0)  # the consumer retries with back-off meanwhile
        assert ready.count("assignment", PARTIES) == 0
        assert ready.queue_depth(f"{queue}.dead") == 0  # a transient failure is never dead-lettered
        database.refuse(False)
        eventually(lambda: ready.count("assignment", PARTIES) == 20, timeout=30)
    assert ready.count("assignment", INBOX) == 20
