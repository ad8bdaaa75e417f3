"""The broker accounts of gates and site bridges, tried against RabbitMQ itself: each may publish only its own gate
messages and read only its own commands; rotation and revocation take effect at once; a message about another
device is dead-lettered by the attendance consumer (R23; DESIGN messaging rule 6).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pika
import pika.exceptions
import pytest
from pika.adapters.blocking_connection import BlockingChannel

from realname_codes.gate_protocol import Report, command_queue, commands_exchange, encode, exchange_in, now_iso
from tests.support.devices import Site, build_site
from tests.support.stack import Stack, eventually

ACCESS_REFUSED, PRECONDITION_FAILED = 403, 406
WAIT = 30.0  # seconds for the consumer's effects on a busy machine (2 cores shared by many test runs)


@pytest.fixture(scope="module")
def site(module_stack: Stack) -> Iterator[Site]:
    found = build_site(module_stack)
    module_stack.declare()
    module_stack.spawn("consumer", "attendance")
    eventually(lambda: consumers(module_stack, module_stack.queue_name("attendance", "gate-reports")), timeout=60)
    yield found


def consumers(stack: Stack, queue: str) -> int:
    """How many consumers ``queue`` has (the attendance consumer process takes seconds to start on a busy machine)."""
    with connect(stack.amqp) as connection:
        return int(connection.channel().queue_declare(queue, passive=True).method.consumer_count)


def connect(url: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(url))


def channel_of(url: str) -> BlockingChannel:
    channel = connect(url).channel()
    channel.confirm_delivery()
    return channel


def publish(channel: BlockingChannel, exchange: str, routing_key: str, body: bytes, user_id: str) -> None:
    channel.basic_publish(exchange, routing_key, body,
                          pika.BasicProperties(user_id=user_id, delivery_mode=2, content_type="application/json"))


def report(serial: str, **fields: Any) -> bytes:
    return encode(Report(device=serial, contact_at=now_iso(), model="DS-K1T671", firmware="V3.2", **fields),
                  source="test-gate")


def refused_with(code: int, act: Any) -> None:
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
        act()
    assert refused.value.reply_code == code, refused.value


def test_a_gate_publishes_its_reports_and_reads_its_own_commands(site: Site) -> None:
    gate = site.gate()
    credentials, prefix = gate["credentials"], site.stack.settings.bus_prefix
    channel = channel_of(credentials["amqp_url"])
    publish(channel, credentials["exchange"], "gate.reported", report(gate["serial"], people=3, people_capacity=3000),
            user_id=gate["account"])
    health = eventually(lambda: (site.manager.get(f"/gates/{gate['id']}").json or {})["health"]["last_contact_at"]
                        and site.manager.get(f"/gates/{gate['id']}").json, timeout=WAIT)["health"]
    assert health["online"] is True and health["people"] == 3 and health["firmware"] == "V3.2"

    with connect(site.stack.amqp) as platform:  # the platform sends it a command
        platform.channel().basic_publish(commands_exchange(prefix), gate["account"], b"{}")
    method, _properties, body = _get_one(channel, credentials["command_queue"])
    assert method is not None and body == b"{}"
    channel.connection.close()


def _get_one(channel: BlockingChannel, queue: str) -> tuple[Any, Any, Any]:
    """The first message of ``queue`` within five seconds, as basic_get answers it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            return method, properties, body
        time.sleep(0.05)
    return None, None, None


def test_a_gate_cannot_speak_for_another_read_its_commands_send_card_reads_or_declare(site: Site) -> None:
    a, b = site.gate(), site.gate()
    url, events = a["credentials"]["amqp_url"], a["credentials"]["exchange"]
    prefix = site.stack.settings.bus_prefix
    refused_with(PRECONDITION_FAILED, lambda: publish(channel_of(url), events, "gate.reported", report(b["serial"]),
                                                      user_id=b["account"]))
    refused_with(ACCESS_REFUSED, lambda: channel_of(url).basic_get(command_queue(b["account"], prefix)))
    refused_with(ACCESS_REFUSED, lambda: publish(channel_of(url), f"{prefix}edge.events", "card.read", b"{}",
                                                 user_id=a["account"]))
    refused_with(ACCESS_REFUSED, lambda: publish(channel_of(url), events, "gate.command", b"{}",
                                                 user_id=a["account"]))
    refused_with(ACCESS_REFUSED, lambda: channel_of(url).queue_declare(f"{prefix}mine", durable=True))
    refused_with(ACCESS_REFUSED, lambda: publish(channel_of(url), commands_exchange(prefix), b["account"], b"{}",
                                                 user_id=a["account"]))


def test_a_message_naming_another_gates_serial_is_dead_lettered_and_changes_nothing(site: Site) -> None:
    a, b = site.gate(), site.gate()
    dead = site.stack.queue_name("attendance", "gate-reports") + ".dead"
    before = site.stack.queue_depth(dead)
    publish(channel_of(a["credentials"]["amqp_url"]), a["credentials"]["exchange"], "gate.reported",
            report(b["serial"]), user_id=a["account"])
    eventually(lambda: site.stack.queue_depth(dead) == before + 1, timeout=WAIT)
    assert (site.manager.get(f"/gates/{b['id']}").json or {})["health"]["last_contact_at"] is None


def test_rotation_stops_the_old_password_and_closes_its_connections(site: Site) -> None:
    gate = site.gate()
    old = gate["credentials"]["amqp_url"]
    open_channel = channel_of(old)
    rotated = site.manager.post(f"/gates/{gate['id']}/credentials")
    assert rotated.status_code == 200 and rotated.json
    new = rotated.json["credentials"]
    assert new["account"] == gate["account"] and new["password"] != gate["credentials"]["password"]
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        connect(old)
    eventually(lambda: not open_channel.connection.is_open or _closed_by_broker(open_channel), timeout=WAIT)
    publish(channel_of(new["amqp_url"]), new["exchange"], "gate.reported", report(gate["serial"]),
            user_id=gate["account"])
    assert [a["subject"] for a in site.audits("gate.credentials_rotated")] == [gate["id"]]


def _closed_by_broker(channel: BlockingChannel) -> bool:
    try:
        channel.connection.process_data_events(time_limit=0.1)
    except pika.exceptions.AMQPConnectionError:
        return True
    return not channel.connection.is_open


def test_revocation_deletes_the_account_and_new_credentials_are_a_new_account(site: Site) -> None:
    bridge = site.bridge()
    gate = site.gate("zkteco-push", bridge_id=bridge["id"])
    assert site.manager.delete(f"/bridges/{bridge['id']}/credentials").status_code == 204
    assert site.manager.delete(f"/bridges/{bridge['id']}/credentials").status_code == 204  # twice: nothing more
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        connect(bridge["credentials"]["amqp_url"])
    assert (site.manager.get(f"/bridges/{bridge['id']}").json or {})["account"] is None

    issued = site.manager.post(f"/bridges/{bridge['id']}/credentials").json or {}
    assert issued["account"] != bridge["account"] and issued["credentials"]["account"] == issued["account"]
    assert {"gate_id": gate["id"], "project_id": site.project} in site.events("device.enabled")
    publish(channel_of(issued["credentials"]["amqp_url"]), exchange_in(site.stack.settings.bus_prefix),
            "gate.reported", report(gate["serial"], kind="zkteco-push"), user_id=issued["account"])
    eventually(lambda: (site.manager.get(f"/gates/{gate['id']}").json or {})["health"]["online"], timeout=WAIT)


def test_a_bridge_reports_an_unknown_device_that_polled_it(site: Site) -> None:
    bridge = site.bridge()
    channel = channel_of(bridge["credentials"]["amqp_url"])
    for _ in range(2):
        publish(channel, bridge["credentials"]["exchange"], "gate.reported",
                report("UNKNOWN-ZK-1", known=False, kind="zkteco-push"), user_id=bridge["account"])

    def seen() -> Any:
        found = (site.manager.get(f"/bridges/{bridge['id']}").json or {})["unknown_devices"]
        return found and found[0]["times"] == 2 and found
    assert [s["serial"] for s in eventually(seen, timeout=WAIT)] == ["UNKNOWN-ZK-1"]
    assert [a["subject"] for a in site.audits("device.sighted")].count("UNKNOWN-ZK-1") == 1  # once a day
    assert (site.manager.get(f"/bridges/{bridge['id']}").json or {})["online"] is True
