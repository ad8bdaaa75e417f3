"""The site bridge (``realname-edge gates run``) against the real RabbitMQ: commands from its own queue reach the
gate's driver most urgent first, and every acknowledgement, punch and report reaches ``gates.events`` from the
spool, whatever happens to the connection (a fake driver stands in for the vendor gates)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from realname_codes.gate_protocol import (
    FAILED,
    REVOKE,
    SET_TIME,
    UNKNOWN_DEVICE,
    Command,
    command_queue,
    now_iso,
)
from realname_edge.gates.bridge import Bridge
from realname_edge.gates.config import load_bridge_config
from realname_edge.spooling import Spool
from tests.support.fake_gate import FakeGate, FakeGates
from tests.support.faultproxy import FaultProxy
from tests.support.gate_platform import (
    GatePlatform,
    bridge_file,
    close_connections,
    enrol,
    eventually,
    platform_for,
)
from tests.support.infra import amqp_url, unique_prefix

GATE = "ZK-0001"


@pytest.fixture
def platform() -> Iterator[GatePlatform]:
    yield from platform_for(f"{unique_prefix()}.")


class RunningBridge:
    """A Bridge on a thread of its own with fake gates; stopped (and checked to have stopped) on exit."""

    def __init__(self, config_file: Path) -> None:
        self.config = load_bridge_config(config_file)
        self.fakes = FakeGates()
        self.stop = threading.Event()
        bridge = Bridge(self.config, builders=self.fakes.builders(), confirm_timeout=3)
        self.thread = threading.Thread(target=bridge.run, args=(self.stop,), name="test-bridge")

    def __enter__(self) -> RunningBridge:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive()

    def gate(self, serial: str = GATE) -> FakeGate:
        gate: FakeGate = eventually(lambda: self.fakes.gates.get(serial), f"the bridge to build gate {serial}")
        return gate

    def spooled(self) -> int:
        with Spool(self.config.spool_path) as spool:
            return spool.count()


def test_commands_reach_the_gate_most_urgent_first_and_every_ack_punch_and_report_arrives_once(
        platform: GatePlatform, tmp_path: Path) -> None:
    platform.bind_events_queue()
    enrols = [enrol(GATE, n) for n in range(5)]
    revokes = [Command(command_id=str(uuid.uuid4()), op=REVOKE, device=GATE, sequence=9, worker_key=f"{2000 + n}")
               for n in range(2)]
    clock = Command(command_id=str(uuid.uuid4()), op=SET_TIME, device=GATE, time=now_iso())
    for command in [*enrols, clock, *revokes]:  # queued before the bridge starts: the broker orders them
        platform.send(command)

    with RunningBridge(bridge_file(tmp_path, platform.prefix, [GATE], punch_on_enrol=True)) as running:
        eventually(lambda: len(platform.acked_ids()) == 8 and len(platform.of_type("gate.punched")) == 5,
                   "eight acks and five punches")
        gate = running.gate()
        answer = requests.get(f"{running.config.public_url}/iclock/punch", params={"SN": GATE, "PIN": "1003"},
                              timeout=5)
        eventually(lambda: len(platform.of_type("gate.punched")) == 6, "the punch the device called in")

    assert (answer.status_code, answer.text) == (200, "OK:1")
    assert [c.command_id for c in gate.submitted] == [c.command_id for c in [*revokes, clock, *enrols]]
    platform.drain()
    ids = Counter(envelope["id"] for _, _, envelope in platform.received)
    assert set(ids.values()) == {1}  # every message once
    assert Counter(platform.acked_ids()) == Counter(c.command_id for c in [*revokes, clock, *enrols])
    assert [r["device"] for r in platform.of_type("gate.reported")] == [GATE]
    assert all(properties.user_id == platform.account and properties.delivery_mode == 2
               for _, properties, _ in platform.received)
    assert {method.routing_key for method, _, envelope in platform.received} == {
        "gate.acknowledged", "gate.punched", "gate.reported"}
    assert all(envelope["type"] == method.routing_key for method, _, envelope in platform.received)
    assert running.spooled() == 0


def test_a_command_for_a_gate_the_bridge_does_not_drive_is_answered_unknown_device(
        platform: GatePlatform, tmp_path: Path) -> None:
    platform.bind_events_queue()
    stranger = enrol("NOT-HERE-9", 1)
    platform.send(stranger)

    with RunningBridge(bridge_file(tmp_path, platform.prefix, [GATE])) as running:
        (ack,) = eventually(lambda: platform.of_type("gate.acknowledged"), "the unknown_device ack")

    assert (ack["command_id"], ack["device"], ack["outcome"], ack["reason"]) == (
        stranger.command_id, "NOT-HERE-9", FAILED, UNKNOWN_DEVICE)
    assert ack["worker_key"] == stranger.worker_key and ack["sequence"] == stranger.sequence
    assert running.gate().submitted == []


def test_messages_no_queue_takes_yet_stay_spooled_and_arrive_once_the_platform_binds_a_queue(
        platform: GatePlatform, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    platform.send(enrol(GATE, 1))

    with RunningBridge(bridge_file(tmp_path, platform.prefix, [GATE])) as running:
        eventually(lambda: running.gate().submitted, "the command to reach the gate")
        eventually(lambda: running.spooled() == 2, "the report and the ack spooled")
        threading.Event().wait(2)  # the publisher has tried (and been refused) meanwhile
        assert running.spooled() == 2
        platform.bind_events_queue()
        eventually(lambda: running.spooled() == 0, "the spool to empty")

    assert len(platform.acked_ids()) == 1 and len(platform.of_type("gate.reported")) == 1
    assert "no queue takes it yet" in caplog.text
    assert '"data":' not in caplog.text  # a returned message's body is never logged


def test_connections_killed_mid_stream_lose_no_command_and_no_acknowledgement(
        platform: GatePlatform, tmp_path: Path) -> None:
    platform.bind_events_queue()
    commands = [enrol(GATE, n) for n in range(300)]

    with RunningBridge(bridge_file(tmp_path, platform.prefix, [GATE], ack_delay=0.005)):
        closed = 0
        for n, command in enumerate(commands):
            platform.send(command)
            if n in (60, 150, 240):
                eventually(acks_reach(platform, n - 30), "acks to flow before the cut")
                closed += eventually(lambda: close_connections("site bridge"), "the bridge's connections to show")
        eventually(lambda: set(platform.acked_ids()) == {c.command_id for c in commands}, "every ack")

    acked = platform.acked_ids()
    print(f"\n{len(commands)} commands, {closed} connections closed, {len(acked) - len(set(acked))} acks repeated")
    assert closed >= 3
    assert set(acked) == {c.command_id for c in commands}


def test_while_the_broker_is_away_the_gates_go_on_working_and_everything_arrives_when_it_is_back(
        platform: GatePlatform, tmp_path: Path) -> None:
    platform.bind_events_queue()
    parts = urlsplit(amqp_url())
    commands = [enrol(GATE, n) for n in range(3)]
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672) as proxy:
        proxy.refuse(True)
        url = urlunsplit((parts.scheme, f"{parts.netloc.rsplit(':', 1)[0]}:{proxy.port}", parts.path, "", ""))
        with RunningBridge(bridge_file(tmp_path, platform.prefix, [GATE], url=url)) as running:
            eventually(lambda: running.spooled() == 1, "the gate's first report spooled: the bridge is up")
            answer = requests.get(f"{running.config.public_url}/iclock/punch", params={"SN": GATE, "PIN": "1007"},
                                  timeout=5)
            for command in commands:
                platform.send(command)
            eventually(lambda: running.spooled() == 2, "the report and the punch spooled")
            assert platform.drain() == []
            proxy.refuse(False)
            eventually(lambda: len(platform.acked_ids()) == 3, "the commands taken and answered once it is back")
            eventually(lambda: running.spooled() == 0, "the spool to empty")

    assert (answer.status_code, answer.text) == (200, "OK:1")  # the device was answered while the broker was away
    assert [p["worker_key"] for p in platform.of_type("gate.punched")] == ["1007"]
    assert len(platform.of_type("gate.reported")) == 1


def acks_reach(platform: GatePlatform, count: int) -> Callable[[], bool]:
    return lambda: len(platform.acked_ids()) >= count


def test_the_bridge_reads_only_its_own_command_queue(platform: GatePlatform, tmp_path: Path) -> None:
    config = load_bridge_config(bridge_file(tmp_path, platform.prefix, [GATE]))

    assert config.account == platform.account
    assert command_queue(config.account, config.prefix) == platform.commands_queue
