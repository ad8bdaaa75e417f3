"""Delayed delivery: an event sent "later" waits in a wait queue of its tier, on the broker or on disk."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from realname_kit.bus.confirming_publisher import OutgoingMessage
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.inprocess import InProcessBus
from realname_kit.bus.processing import Delivery, Outcome
from realname_kit.bus.topology import Topology, declared_queues, wait_routing_key, wait_tier, waiting
from realname_kit.bus.waiting_room import WaitingRoom

DUE = "identity.verification_due"


class Recorder:
    """A processor that notes what it was handed."""

    queue = "probe"

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def process(self, batch: list[Delivery], *_: object, **__: object) -> list[Outcome]:
        self.bodies += [d.body for d in batch]
        return [Outcome(d) for d in batch]


def test_the_tier_is_the_longest_wait_not_longer_than_the_delay_and_at_least_the_shortest() -> None:
    assert wait_tier("identity", DUE, 0) == 2
    assert wait_tier("identity", DUE, 45) == 10
    assert wait_tier("identity", DUE, 60) == 60
    assert wait_tier("identity", DUE, 2 * 86400) == 1800


def test_an_event_no_queue_takes_later_has_no_tier() -> None:
    with pytest.raises(ValueError, match="waits"):
        wait_tier("registry", "worker.registered", 10)


def test_a_wait_routing_key_names_its_event_and_seconds() -> None:
    assert waiting(wait_routing_key(DUE, 60)) == (DUE, 60)
    assert waiting(DUE) is None


def test_a_wait_queue_expires_its_messages_into_its_queue() -> None:
    spec = next(q for q in declared_queues() if q.waits)
    queue = Topology("t.").wait_queue(spec, 10)
    assert queue.name == f"t.{spec.consumer}.{spec.purpose}.wait-10s"
    arguments = queue.queue_arguments or {}
    assert arguments["x-message-ttl"] == 10_000
    assert (arguments["x-dead-letter-exchange"], arguments["x-dead-letter-routing-key"]) == \
        ("", f"t.{spec.consumer}.{spec.purpose}")


def test_the_waiting_room_keeps_events_across_a_restart_until_due(tmp_path: Path) -> None:
    room = WaitingRoom(tmp_path / "waiting.sqlite")
    room.wait("identity", DUE, b"soon", 0)
    room.wait("identity", DUE, b"later", 3600)
    room.close()
    again = WaitingRoom(tmp_path / "waiting.sqlite")
    due = again.due()
    assert [e.body for e in due] == [b"soon"] and len(again) == 2
    again.done(due)
    assert len(again) == 1 and again.due() == []
    again.close()


def test_the_in_process_bus_delivers_a_delayed_event_when_due_to_queues_with_waits_only(tmp_path: Path) -> None:
    bus = InProcessBus(Topology(), tmp_path / "dead.jsonl")
    with_waits = next(q for q in declared_queues() if q.waits)
    recorder = Recorder()
    bus.register([(with_waits, recorder)])  # type: ignore[list-item]
    body = Envelope(type=DUE, source="identity", data={"read_id": "r"}).to_json()
    message = OutgoingMessage(exchange="identity.events", routing_key=wait_routing_key(DUE, 2), body=body,
                              message_id="m", type=DUE)
    bus.deliver("identity", [message])
    assert recorder.bodies == []
    stop = threading.Event()
    runner = threading.Thread(target=bus.run_waiting, args=(stop, 0.05))
    started = time.monotonic()
    runner.start()
    try:
        while not recorder.bodies and time.monotonic() - started < 10:
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join()
    assert recorder.bodies == [body]
    assert time.monotonic() - started >= 1.5
