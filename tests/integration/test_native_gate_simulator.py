"""The native gate simulator against the real RabbitMQ: it takes the platform's commands from its own queue,
answers each with the command's id and sequence, reports its health, publishes punches (cached while it is
off), honours the queue's priorities and carries on after its connection is killed."""

from __future__ import annotations

import base64
import hashlib
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pika
import pytest
import requests

from realname_codes import gate_protocol as gp
from realname_edge.gate_sims.device import SimulatedDevice, larger_than, refuse_hashes
from realname_edge.gate_sims.native import NativeGate
from tests.support.faultproxy import FaultProxy
from tests.support.infra import amqp_url, unique_prefix

ACCOUNT = "guest"  # the test broker's account: the broker checks user_id against it, as for a gate's own
PHOTO = (Path(__file__).parent.parent / "support" / "faces" / "astronaut.jpg").read_bytes()
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()
WAIT_S = 20


@dataclass
class Platform:
    """The platform's side of the broker for this test: a gate's command queue and a queue of what gates say."""

    channel: Any
    prefix: str
    heard: list[gp.Command | gp.Ack | gp.Report | gp.Punch] = field(default_factory=list)

    @property
    def command_queue(self) -> str:
        return gp.command_queue(ACCOUNT, self.prefix)

    @property
    def events_queue(self) -> str:
        return f"{self.prefix}attendance.gate-messages"

    def send(self, command: gp.Command) -> None:
        """As the attendance service does: persistent, with the operation's priority (R26)."""
        properties = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, priority=command.priority,
                                          content_type="application/json", type=gp.COMMAND)
        self.channel.basic_publish(gp.commands_exchange(self.prefix), ACCOUNT,
                                   gp.encode(command, source="attendance"), properties)

    def listen(self) -> list[gp.Command | gp.Ack | gp.Report | gp.Punch]:
        while True:
            method, properties, body = self.channel.basic_get(self.events_queue, auto_ack=True)
            if method is None:
                return self.heard
            assert properties.user_id == ACCOUNT
            _, message = gp.decode(body)
            assert method.routing_key == properties.type
            self.heard.append(message)

    def acks(self) -> list[gp.Ack]:
        return [m for m in self.listen() if isinstance(m, gp.Ack)]

    def punches(self) -> list[gp.Punch]:
        return [m for m in self.listen() if isinstance(m, gp.Punch)]

    def reports(self) -> list[gp.Report]:
        return [m for m in self.listen() if isinstance(m, gp.Report)]

    def ack_of(self, command: gp.Command) -> gp.Ack:
        eventually(lambda: any(a.command_id == command.command_id for a in self.acks()))
        return next(a for a in self.acks() if a.command_id == command.command_id)

    def waiting_commands(self) -> int:
        return int(self.channel.queue_declare(self.command_queue, passive=True).method.message_count)

    def consumers(self) -> int:
        return int(self.channel.queue_declare(self.command_queue, passive=True).method.consumer_count)


def eventually(condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


@pytest.fixture
def platform() -> Iterator[Platform]:
    prefix = f"{unique_prefix()}."
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url()))
    found = Platform(connection.channel(), prefix)
    channel = found.channel
    channel.exchange_declare(gp.commands_exchange(prefix), exchange_type="direct", durable=True)
    channel.queue_declare(found.command_queue, durable=True, arguments=gp.command_queue_arguments())
    channel.queue_bind(found.command_queue, gp.commands_exchange(prefix), routing_key=ACCOUNT)
    channel.exchange_declare(gp.exchange_in(prefix), exchange_type="topic", durable=True)
    channel.queue_declare(found.events_queue, durable=True)
    channel.queue_bind(found.events_queue, gp.exchange_in(prefix), routing_key="gate.#")
    try:
        yield found
    finally:
        for queue in (found.command_queue, found.events_queue):
            channel.queue_delete(queue)
        for exchange in (gp.commands_exchange(prefix), gp.exchange_in(prefix)):
            channel.exchange_delete(exchange)
        connection.close()


@pytest.fixture
def device() -> SimulatedDevice:
    return SimulatedDevice(f"NATIVE-{uuid.uuid4().hex[:8]}", model="RN-A1", firmware="V2.1.0")


@pytest.fixture
def gate(platform: Platform, device: SimulatedDevice) -> Iterator[NativeGate]:
    native = NativeGate(device, amqp_url(), ACCOUNT, prefix=platform.prefix)
    native.start()
    try:
        yield native
    finally:
        native.stop()


def enrol(device: SimulatedDevice, key: str, sequence: int = 1, photo: bytes = PHOTO) -> gp.Command:
    return gp.Command(str(uuid.uuid4()), gp.ENROL, device.serial, sequence, worker_key=key, name="王建国",
                      face_jpeg=base64.b64encode(photo).decode(), face_sha256=hashlib.sha256(photo).hexdigest(),
                      valid_from="2026-01-01T00:00:00+08:00")


def revoke(device: SimulatedDevice, key: str, sequence: int = 2) -> gp.Command:
    return gp.Command(str(uuid.uuid4()), gp.REVOKE, device.serial, sequence, worker_key=key)


def test_enrol_revoke_digest_and_set_time_are_applied_and_acknowledged_with_the_commands_id_and_sequence(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    device.drift(300)
    enrolled = enrol(device, "1001", sequence=7)
    platform.send(enrolled)
    ack = platform.ack_of(enrolled)
    assert (ack.outcome, ack.op, ack.sequence, ack.worker_key, ack.device) == (gp.DONE, gp.ENROL, 7, "1001",
                                                                                 device.serial)
    assert device.listing() == {"1001": PHOTO_SHA}

    platform.send(enrol(device, "1002"))
    digest = gp.Command(str(uuid.uuid4()), gp.DIGEST, device.serial, people=[["1001", PHOTO_SHA]])
    platform.send(digest)
    assert platform.ack_of(digest).people == [["1001", PHOTO_SHA], ["1002", PHOTO_SHA]]

    revoked, again = revoke(device, "1001", sequence=8), revoke(device, "1001", sequence=9)
    platform.send(revoked)
    platform.send(again)
    assert (platform.ack_of(revoked).outcome, platform.ack_of(again).outcome) == (gp.DONE, gp.DONE)  # R26
    assert platform.ack_of(again).sequence == 9
    assert "1001" not in device.listing()

    set_time = gp.Command(str(uuid.uuid4()), gp.SET_TIME, device.serial, time=datetime.now(UTC).isoformat())
    platform.send(set_time)
    assert platform.ack_of(set_time).outcome == gp.DONE
    assert abs(device.clock_drift_s) < 5
    assert gate.acked[gp.ENROL, gp.DONE] == 2 and gate.acked[gp.REVOKE, gp.DONE] == 2


def test_it_reports_its_health_at_start_and_again_when_its_clock_drifts(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    eventually(lambda: len(platform.reports()) >= 1)
    first = platform.reports()[0]
    assert (first.device, first.kind, first.model, first.firmware, first.online) == (
        device.serial, gp.NATIVE, "RN-A1", "V2.1.0", True)
    assert (first.people, first.faces, first.people_capacity, first.faces_capacity) == (0, 0, 3000, 3000)

    device.drift(90)
    eventually(lambda: any((r.clock_offset_s or 0) >= 89 for r in platform.reports()))


def test_it_reports_every_report_every_s_while_nothing_changes(platform: Platform, device: SimulatedDevice) -> None:
    quick = NativeGate(device, amqp_url(), ACCOUNT, prefix=platform.prefix, report_every_s=0.3)
    quick.start()
    try:
        eventually(lambda: len(platform.reports()) >= 4, timeout=5)
    finally:
        quick.stop()
    contacts = [datetime.fromisoformat(r.contact_at) for r in platform.reports()]
    assert contacts == sorted(contacts) and len(set(contacts)) == len(contacts)


def test_a_revoke_published_after_two_hundred_enrols_overtakes_them(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    device.go_offline()  # the queue fills while the gate is away, as on a site in the morning
    eventually(lambda: platform.consumers() == 0)
    enrols = [enrol(device, str(2000 + n)) for n in range(200)]
    for command in enrols:
        platform.send(command)
    leaver = revoke(device, "1999")
    platform.send(leaver)

    device.come_back()
    eventually(lambda: len(platform.acks()) == 201, timeout=60)
    assert platform.acks()[0].command_id == leaver.command_id
    assert {a.command_id for a in platform.acks()[1:]} == {c.command_id for c in enrols}
    assert len(device.listing()) == 200


def test_offline_commands_wait_in_the_queue_and_punches_are_cached_then_flushed_in_order(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    eventually(lambda: platform.consumers() == 1)
    gate.punch("3001")
    eventually(lambda: len(platform.punches()) == 1)

    device.go_offline()
    eventually(lambda: platform.consumers() == 0)
    waiting = enrol(device, "3002")
    platform.send(waiting)
    for key in ("3002", "3003", "3004"):
        gate.punch(key)
    time.sleep(1)
    assert platform.waiting_commands() == 1
    assert len(platform.punches()) == 1 and not platform.acks()

    reports_before = len(platform.reports())
    device.come_back()
    assert platform.ack_of(waiting).outcome == gp.DONE
    eventually(lambda: len(platform.punches()) == 4)
    punches = platform.punches()
    assert [p.worker_key for p in punches] == ["3001", "3002", "3003", "3004"]
    assert len({p.event_key for p in punches}) == 4
    assert all(p.device == device.serial and p.verified_by == "face" for p in punches)
    assert len(platform.reports()) > reports_before  # it says it is back


def test_a_full_device_refuses_a_new_worker_with_device_full_and_still_edits_one_it_holds(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    first = enrol(device, "4001")
    platform.send(first)
    assert platform.ack_of(first).outcome == gp.DONE
    device.fill_up()

    refused, edited = enrol(device, "4002"), enrol(device, "4001", sequence=2)
    platform.send(refused)
    platform.send(edited)
    ack = platform.ack_of(refused)
    assert (ack.outcome, ack.reason, ack.sequence) == (gp.FAILED, gp.DEVICE_FULL, 1)
    assert gp.DEVICE_FULL not in gp.TRANSIENT  # waits for a person to make room, no retry storm
    assert platform.ack_of(edited).outcome == gp.DONE
    assert gate.acked[gp.ENROL, gp.DEVICE_FULL] == 1


def test_a_photo_the_devices_model_refuses_is_photo_rejected_with_the_problem(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    device.reject_photos(refuse_hashes({PHOTO_SHA}))
    device.reject_photos(larger_than(50_000))
    refused = enrol(device, "5001")
    platform.send(refused)
    ack = platform.ack_of(refused)
    assert (ack.outcome, ack.reason, ack.photo_problem) == (gp.FAILED, gp.PHOTO_REJECTED, "modelling_failed")
    assert PHOTO_SHA not in ack.detail and ack.detail  # the device's own words, never the photo

    too_large = enrol(device, "5002", photo=PHOTO * 2)
    platform.send(too_large)
    assert platform.ack_of(too_large).photo_problem == "size_out_of_range"


def test_a_message_that_is_not_a_command_is_refused_and_the_gate_carries_on(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    platform.channel.basic_publish(gp.commands_exchange(platform.prefix), ACCOUNT, b"{not json")
    after = enrol(device, "6001")
    platform.send(after)
    assert platform.ack_of(after).outcome == gp.DONE
    eventually(lambda: platform.waiting_commands() == 0)


def test_after_its_connection_is_killed_it_reconnects_and_every_command_ends_applied(
        platform: Platform, gate: NativeGate, device: SimulatedDevice) -> None:
    eventually(lambda: platform.consumers() == 1)
    commands = [enrol(device, str(7000 + n)) for n in range(100)]
    for command in commands:
        platform.send(command)
    eventually(lambda: len(platform.acks()) >= 10)
    kill_connections_named(f"native-gate {device.serial}")

    eventually(lambda: gate.connections >= 2)
    eventually(lambda: {a.command_id for a in platform.acks()} == {c.command_id for c in commands}, timeout=60)
    assert all(a.outcome == gp.DONE for a in platform.acks())
    assert len(device.listing()) == 100
    gate.punch("7000")
    eventually(lambda: [p.worker_key for p in platform.punches()] == ["7000"])


def test_a_gate_whose_queue_is_not_there_yet_keeps_trying_and_starts_once_the_platform_made_it(
        platform: Platform, device: SimulatedDevice) -> None:
    platform.channel.queue_delete(platform.command_queue)  # its credentials are not issued yet
    early = NativeGate(device, amqp_url(), ACCOUNT, prefix=platform.prefix)
    early.start()
    try:
        time.sleep(1)
        assert early.connections == 0
        platform.channel.queue_declare(platform.command_queue, durable=True, arguments=gp.command_queue_arguments())
        platform.channel.queue_bind(platform.command_queue, gp.commands_exchange(platform.prefix), routing_key=ACCOUNT)
        enrolled = enrol(device, "9001")
        platform.send(enrolled)
        assert platform.ack_of(enrolled).outcome == gp.DONE
        assert early.connections == 1
    finally:
        early.stop()


def test_the_demo_command_runs_a_native_gate_that_answers_commands_and_punches_typed_keys(
        platform: Platform) -> None:
    serial = f"NATIVE-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "realname_edge.gate_sims", "native", "--amqp-url", amqp_url(), "--account", ACCOUNT,
         "--serial", serial, "--prefix", platform.prefix], stdin=subprocess.PIPE, text=True)
    try:
        enrolled = gp.Command(str(uuid.uuid4()), gp.ENROL, serial, 1, worker_key="8001", name="赵六")
        platform.send(enrolled)
        assert platform.ack_of(enrolled).outcome == gp.DONE
        assert process.stdin is not None
        process.stdin.write("8001\n")
        process.stdin.flush()
        eventually(lambda: [(p.device, p.worker_key) for p in platform.punches()] == [(serial, "8001")])
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT_S) == 0
    assert platform.consumers() == 0


def test_through_a_broker_restart_it_backs_off_reconnects_and_loses_no_command_and_no_punch(
        platform: Platform, device: SimulatedDevice) -> None:
    amqp = urlsplit(amqp_url())
    with FaultProxy(amqp.hostname or "127.0.0.1", amqp.port or 5672) as proxy:
        netloc = f"{amqp.netloc.rsplit(':', 1)[0] if amqp.port else amqp.netloc}:{proxy.port}"
        gate = NativeGate(device, urlunsplit((amqp.scheme, netloc, amqp.path, amqp.query, "")), ACCOUNT,
                          prefix=platform.prefix)
        gate.start()
        try:
            eventually(lambda: platform.consumers() == 1)
            before = enrol(device, "9101")
            platform.send(before)
            assert platform.ack_of(before).outcome == gp.DONE

            proxy.refuse(True)  # the broker goes down: connections cut, new ones refused for a while
            proxy.drop_connections()
            eventually(lambda: platform.consumers() == 0)
            during = [enrol(device, str(9102 + n)) for n in range(20)]
            for command in during:
                platform.send(command)
            for key in ("9101", "9102"):
                gate.punch(key)
            time.sleep(1.5)
            assert gate.connections == 1
            proxy.refuse(False)

            eventually(lambda: {a.command_id for a in platform.acks()} >= {c.command_id for c in during})
            eventually(lambda: [p.worker_key for p in platform.punches()] == ["9101", "9102"])
            assert gate.connections == 2
            assert len(device.listing()) == 21
        finally:
            gate.stop()


def kill_connections_named(name: str) -> None:
    """As a broker restart does to the gate: its connection is closed under it (management API)."""
    amqp = urlsplit(amqp_url())
    api = f"http://{amqp.hostname or '127.0.0.1'}:15672/api"
    auth = (unquote(amqp.username or "guest"), unquote(amqp.password or "guest"))
    found: list[str] = []

    def listed() -> bool:  # the management API lists a new connection within its statistics interval
        connections = requests.get(f"{api}/connections", auth=auth, timeout=5).json()
        found[:] = [c["name"] for c in connections
                    if (c.get("client_properties") or {}).get("connection_name") == name]
        return bool(found)

    eventually(listed)
    for connection in found:
        response = requests.delete(f"{api}/connections/{quote(connection, safe='')}", auth=auth, timeout=5)
        assert response.status_code == 204
