"""The bridge's command journal and sink: a command is kept until its acknowledgement is spooled, comes back after
a crash most urgent first, and is not done twice when the broker hands it over again."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

from realname_codes.gate_protocol import (
    DONE,
    ENROL,
    FAILED,
    REVOKE,
    UNKNOWN_DEVICE,
    Ack,
    Command,
    Punch,
    encode,
)
from realname_edge.gates.dispatch import Dispatcher
from realname_edge.gates.driver import Finding, GateConfig, GateSink
from realname_edge.gates.journal import SCHEMA, CommandJournal
from realname_edge.gates.sink import SpoolSink
from realname_edge.spooling import Spool
from tests.support.gate_platform import enrol


class Gate:
    """A driver that only keeps what it is handed."""

    config = GateConfig("G1", "zkteco-push")

    def __init__(self) -> None:
        self.handed: list[Command] = []

    def start(self, sink: GateSink) -> None: ...

    def submit(self, command: Command) -> None:
        self.handed.append(command)

    def check(self) -> list[Finding]:
        return []

    def stop(self) -> None: ...


def opened(path: Path) -> tuple[Spool, CommandJournal, SpoolSink]:
    spool = Spool(path, schema=[SCHEMA])
    return spool, CommandJournal(spool), SpoolSink(spool, prefix="t.", source="test", wake=threading.Event())


def journalled(journal: CommandJournal, command: Command) -> bool:
    return journal.record(command, encode(command, source="attendance"))


def done(command: Command) -> Ack:
    return Ack(command_id=command.command_id, device=command.device, op=command.op, outcome=DONE)


def test_unanswered_commands_come_back_after_a_restart_most_urgent_first_and_answered_ones_do_not(
        tmp_path: Path) -> None:
    first, second = enrol("G1", 1), enrol("G1", 2)
    revoke = Command(command_id=str(uuid.uuid4()), op=REVOKE, device="G1", worker_key="1005")
    spool, journal, sink = opened(tmp_path / "spool.sqlite")
    for command in (first, second, revoke):
        journalled(journal, command)
    sink.acknowledged(done(second))
    spool.close()

    spool, journal, _ = opened(tmp_path / "spool.sqlite")
    with spool:
        assert [c.command_id for c in journal.unfinished()] == [revoke.command_id, first.command_id]
        (ack,) = spool.pending(10)
        assert (ack.exchange, ack.routing_key) == ("t.gates.events", "gate.acknowledged")
        assert json.loads(ack.body)["data"]["command_id"] == second.command_id


def test_a_command_handed_over_again_by_the_broker_is_not_done_twice(tmp_path: Path) -> None:
    command = enrol("G1", 1)
    spool, journal, sink = opened(tmp_path / "spool.sqlite")
    with spool:
        assert journalled(journal, command)
        assert not journalled(journal, command)  # still under way
        sink.acknowledged(done(command))
        assert not journalled(journal, command)  # answered
        assert journal.count_unfinished() == 0


def test_an_answered_command_keeps_no_face_photo_in_the_journal(tmp_path: Path) -> None:
    command = Command(command_id=str(uuid.uuid4()), op=ENROL, device="G1", worker_key="1001", face_jpeg="RkFDRQ==")
    spool, journal, sink = opened(tmp_path / "spool.sqlite")
    with spool:
        journalled(journal, command)
        sink.acknowledged(done(command))
        assert spool.query("SELECT body FROM command_journal") == [(None,)]


def test_a_command_for_a_gate_not_configured_is_answered_unknown_device_and_the_others_reach_their_driver(
        tmp_path: Path) -> None:
    spool, journal, sink = opened(tmp_path / "spool.sqlite")
    gate = Gate()
    ours, stranger = enrol("G1", 1), enrol("G9", 2)
    with spool:
        dispatcher = Dispatcher({"G1": gate}, sink)
        for command in (ours, stranger):
            journalled(journal, command)
            dispatcher.submit(command)
        (message,) = spool.pending(10)
        ack = json.loads(message.body)["data"]

    assert gate.handed == [ours]
    assert (ack["command_id"], ack["outcome"], ack["reason"]) == (stranger.command_id, FAILED, UNKNOWN_DEVICE)


def test_punches_are_spooled_together_to_the_platforms_exchange(tmp_path: Path) -> None:
    spool, _, sink = opened(tmp_path / "spool.sqlite")
    with spool:
        sink.punched([Punch(device="G1", worker_key=str(n), at="2026-01-15T08:00:00+08:00", event_key=f"G1:{n}")
                      for n in range(3)])
        assert [(m.exchange, m.routing_key) for m in spool.pending(10)] == [("t.gates.events", "gate.punched")] * 3
