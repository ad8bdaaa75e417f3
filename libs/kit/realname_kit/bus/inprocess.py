"""The in-process bus of all-in-one mode: the relay hands events straight to the subscribed processors.

The relay marks outbox rows published only once every subscriber has handled them (or dead-lettered
them to a file), so a crash of the one process loses nothing: the rows are relayed again at start
and the inbox drops what was already handled.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

from realname_kit.bus.confirming_publisher import OutgoingMessage
from realname_kit.bus.processing import Delivery, MessageProcessor
from realname_kit.bus.topology import QueueSpec, Topology
from realname_kit.logs import get_logger
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


class InProcessBus:
    def __init__(self, topology: Topology, dead_letter_file: Path) -> None:
        self.topology = topology
        self.subscriptions: list[tuple[QueueSpec, MessageProcessor]] = []
        self.dead_letter_file = dead_letter_file
        self._lock = threading.Lock()

    def register(self, subscriptions: Sequence[tuple[QueueSpec, MessageProcessor]]) -> None:
        self.subscriptions.extend(subscriptions)

    def publisher(self, publisher_service: str) -> InProcessPublisher:
        return InProcessPublisher(self, publisher_service)

    def deliver(self, publisher_service: str, messages: Sequence[OutgoingMessage]) -> None:
        for spec, processor in self.subscriptions:
            wanted = [m for m in messages if any(b.publisher == publisher_service and b.event_type == m.type
                                                 for b in spec.bindings)]
            if not wanted:
                continue
            for outcome in processor.process([Delivery(m.body, m) for m in wanted]):
                if outcome.dead_reason is not None:
                    self._dead_letter(processor.queue, outcome.delivery.body, outcome.dead_reason)

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
