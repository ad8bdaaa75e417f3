"""The in-process bus of all-in-one mode: the relay hands events straight to the subscribed processors.

The relay marks outbox rows published only once every subscriber has handled them (or dead-lettered
them to a file), so a crash of the one process loses nothing: the rows are relayed again at start
and the inbox drops what was already handled. A delayed event (wait routing key) waits in the
``WaitingRoom`` file instead, and ``run_waiting`` delivers it when it is due.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from realname_kit.bus.confirming_publisher import OutgoingMessage
from realname_kit.bus.processing import Delivery, MessageProcessor
from realname_kit.bus.topology import QueueSpec, Topology, waiting
from realname_kit.bus.waiting_room import WaitingRoom
from realname_kit.logs import get_logger
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


class InProcessBus:
    def __init__(self, topology: Topology, dead_letter_file: Path, waiting_file: Path | None = None) -> None:
        self.topology = topology
        self.subscriptions: list[tuple[QueueSpec, MessageProcessor]] = []
        self.dead_letter_file = dead_letter_file
        self.waiting_room = WaitingRoom(waiting_file or dead_letter_file.with_name("bus-waiting.sqlite"))
        self._lock = threading.Lock()

    def register(self, subscriptions: Sequence[tuple[QueueSpec, MessageProcessor]]) -> None:
        self.subscriptions.extend(subscriptions)

    def publisher(self, publisher_service: str) -> InProcessPublisher:
        return InProcessPublisher(self, publisher_service)

    def deliver(self, publisher_service: str, messages: Sequence[OutgoingMessage]) -> None:
        now: list[OutgoingMessage] = []
        for message in messages:
            wait = waiting(message.routing_key)
            if wait is None:
                now.append(message)
            else:
                self.waiting_room.wait(publisher_service, wait[0], message.body, wait[1])
        self._hand_over(publisher_service, [(m.routing_key, m.body) for m in now], delayed=False)

    def run_waiting(self, stop: threading.Event, interval: float = 0.2,
                    heartbeat: Callable[[], None] = lambda: None) -> None:
        """Deliver the delayed events as they fall due, until ``stop``."""
        while not stop.wait(interval):
            heartbeat()
            while due := self.waiting_room.due():
                for event in due:
                    self._hand_over(event.publisher, [(event.event_type, event.body)], delayed=True)
                self.waiting_room.done(due)
        self.waiting_room.close()

    def _hand_over(self, publisher_service: str, messages: Sequence[tuple[str, bytes]], *, delayed: bool) -> None:
        for spec, processor in self.subscriptions:
            if delayed and not spec.waits:
                continue  # as on the broker: only a queue with wait queues gets the delayed copy
            wanted = [body for event_type, body in messages
                      if any(b.publisher == publisher_service and b.event_type == event_type for b in spec.bindings)]
            if not wanted:
                continue
            for outcome in processor.process([Delivery(body) for body in wanted]):
                if outcome.dead_reason is not None:
                    self._dead_letter(processor.queue, outcome.delivery.body, outcome.dead_reason)

    def dead_letter_depths(self) -> dict[str, int]:
        """The dead letters of each subscribed queue, named as on the broker (``<queue>.dead``)."""
        depths = Counter({f"{processor.queue}.dead": 0 for _, processor in self.subscriptions})
        with self._lock:
            if self.dead_letter_file.exists():
                with self.dead_letter_file.open(encoding="utf-8") as f:
                    depths.update(f"{json.loads(line)['queue']}.dead" for line in f if line.strip())
        return dict(depths)

    def _dead_letter(self, queue: str, body: bytes, reason: str) -> None:
        record = {"queue": queue, "reason": reason, "at": utcnow().isoformat(), "body": body.decode()}
        with self._lock:
            self.dead_letter_file.parent.mkdir(parents=True, exist_ok=True)
            with self.dead_letter_file.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")


class InProcessPublisher:
    def __init__(self, bus: InProcessBus, publisher_service: str) -> None:
        self.bus, self.publisher_service = bus, publisher_service

    def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float = 30.0) -> None:
        self.bus.deliver(self.publisher_service, messages)
