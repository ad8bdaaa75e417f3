"""What a gate's or a site bridge's broker account may touch (adapters.device_broker.device_permissions): its own
command queue and the gates' exchange, with the three inbound types; nothing of another account's or the edge's."""

from __future__ import annotations

import re

from realname_attendance.adapters.device_broker import device_permissions

PREFIX = "t1."
ACCOUNT = "t1.gate-0a1b2c3d"


def matches(pattern: str, name: str) -> bool:
    return re.search(pattern, name) is not None  # RabbitMQ's own reading of a permission regex


def test_an_account_reads_its_own_command_queue_only() -> None:
    read = device_permissions(ACCOUNT, PREFIX).read
    assert matches(read, f"t1.gates.commands.{ACCOUNT}")
    for other in (f"t1.gates.commands.{ACCOUNT}x", "t1.gates.commands.t1.gate-ffffffff", "t1.gates.events",
                  f"t2.gates.commands.{ACCOUNT}", "t1.attendance.gate-reports"):
        assert not matches(read, other), other


def test_an_account_writes_the_gates_exchange_only_and_there_only_gate_messages() -> None:
    permissions = device_permissions(ACCOUNT, PREFIX)
    assert matches(permissions.write, "t1.gates.events")
    for other in ("t1.gates.commands", "t1.edge.events", "t1xgates.events", "amq.default", ""):
        assert not matches(permissions.write, other), other
    [topic] = permissions.topics
    assert topic.exchange == "t1.gates.events" and topic.read == "^$"
    for key in ("gate.punched", "gate.acknowledged", "gate.reported"):
        assert matches(topic.write, key)
    for key in ("gate.command", "card.read", "gate.reported.wait-2s", "gatexpunched", "device.online"):
        assert not matches(topic.write, key), key


def test_an_account_declares_nothing() -> None:
    configure = device_permissions(ACCOUNT, PREFIX).configure
    assert not any(matches(configure, name) for name in (f"t1.gates.commands.{ACCOUNT}", "t1.gates.events", "x"))
