"""``realname-edge gates run`` as a process (with the fake gate driver in place of the vendor kinds): killed with
SIGKILL mid-batch, started again, it loses no command and no acknowledgement; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gate_platform import GatePlatform, bridge_file, enrol, eventually, platform_for
from tests.support.infra import unique_prefix

GATE = "ZK-0002"
COMMANDS = 80
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def platform() -> Iterator[GatePlatform]:
    yield from platform_for(f"{unique_prefix()}.")


def start_bridge(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen([sys.executable, "-m", "tests.support.fake_gate", "gates", "run", "--config",
                                 str(config)], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


def submissions(record: Path) -> list[str]:
    if not record.exists():
        return []
    return [json.loads(line)["command_id"] for line in record.read_text(encoding="utf-8").splitlines() if line]


def test_a_bridge_killed_mid_batch_hands_the_unfinished_commands_over_again_and_every_ack_arrives(
        platform: GatePlatform, tmp_path: Path) -> None:
    platform.bind_events_queue()
    commands = [enrol(GATE, n) for n in range(COMMANDS)]
    for command in commands:
        platform.send(command)
    record, log = tmp_path / "submitted.jsonl", tmp_path / "bridge.log"
    config = bridge_file(tmp_path, platform.prefix, [GATE], ack_delay=0.1, record=str(record))

    first = start_bridge(config, log)
    try:
        eventually(lambda: len(submissions(record)) >= 30 and len(platform.acked_ids()) >= 5, "a batch under way")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    before = submissions(record)
    acked_before = set(platform.acked_ids())
    assert 0 < len(acked_before) < len(before) <= COMMANDS  # taken from the broker, not all answered: mid-batch

    second = start_bridge(config, log)
    try:
        eventually(lambda: set(platform.acked_ids()) == {c.command_id for c in commands}, "every ack")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0, log.read_text(encoding="utf-8")[-3000:]

    again = submissions(record)[len(before):]
    repeated_acks = len(platform.acked_ids()) - COMMANDS
    print(f"\n{len(before)} handed over before the kill, {len(acked_before)} acks out; after the restart "
          f"{len(again)} handed over, {repeated_acks} acks repeated")
    assert set(before) - acked_before <= set(again)  # the journal handed every unanswered command over again
    assert not acked_before & set(again)  # an answered command is never done again
    assert max(Counter(again).values()) == 1 and max(Counter(before).values()) == 1
    assert set(before) | set(again) == {c.command_id for c in commands}
    assert "site bridge stopped; 0 messages stay spooled" in log.read_text(encoding="utf-8")
