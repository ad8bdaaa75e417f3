"""Every exchange and queue of the platform, declared here and nowhere else.

One durable topic exchange per publishing service (``<service>.events``, routing key = event type);
one quorum queue per consuming service and purpose (``<service>.<purpose>``) with a delivery limit and
a dead-letter queue (``<queue>.dead``) behind the shared ``dead-letters`` exchange.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding

PUBLISHERS = ("identity", "registry", "assignment", "attendance", "gateway")


@dataclass(frozen=True, slots=True)
class Binding:
    publisher: str
    event_type: str


@dataclass(frozen=True, slots=True)
class QueueSpec:
    consumer: str
    purpose: str
    bindings: tuple[Binding, ...]

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(b.event_type for b in self.bindings)


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("assignment", "enterprises", (Binding("registry", "enterprise.registered"),)),
    QueueSpec("reporting", "enterprises", (Binding("registry", "enterprise.registered"),)),
    QueueSpec("registry", "projects", (Binding("assignment", "project.registered"),)),
    # Verified card reads fill registrations in; manual registrations wait for their verification (R1, R3).
    QueueSpec("registry", "identity",
              (Binding("identity", "identity.verified"), Binding("identity", "identity.rejected"))),
    # Large Excel imports run as jobs, one message each, picked up by the registry's own consumer (R10).
    QueueSpec("registry", "imports", (Binding("registry", "import.requested"),)),
    # The audit log (realname_kit.audit): every publisher records its audited acts as audit.recorded.
    QueueSpec("reporting", "audit", tuple(Binding(p, "audit.recorded") for p in PUBLISHERS)),
)


def queues_of(consumer: str) -> tuple[QueueSpec, ...]:
    return tuple(q for q in QUEUES if q.consumer == consumer)


def subscribers(publisher: str, event_type: str) -> Iterator[QueueSpec]:
    for spec in QUEUES:
        if Binding(publisher, event_type) in spec.bindings:
            yield spec


@dataclass(frozen=True, slots=True)
class Topology:
    """The names under one prefix (a test run uses its own prefix so runs never meet)."""

    prefix: str = ""
    delivery_limit: int = 5

    def exchange_name(self, publisher: str) -> str:
        return f"{self.prefix}{publisher}.events"

    def queue_name(self, spec: QueueSpec) -> str:
        return f"{self.prefix}{spec.consumer}.{spec.purpose}"

    @property
    def dead_letter_exchange_name(self) -> str:
        return f"{self.prefix}dead-letters"

    def exchange(self, publisher: str) -> Exchange:
        return Exchange(self.exchange_name(publisher), type="topic", durable=True)

    def dead_letter_exchange(self) -> Exchange:
        return Exchange(self.dead_letter_exchange_name, type="direct", durable=True)

    def queue(self, spec: QueueSpec) -> Queue:
        name = self.queue_name(spec)
        return Queue(
            name,
            bindings=[binding(self.exchange(b.publisher), routing_key=b.event_type) for b in spec.bindings],
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange_name,
                "x-dead-letter-routing-key": name,
                # At-least-once dead-lettering: the broker keeps the message until the DLQ has it.
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )

    def dead_letter_queue(self, spec: QueueSpec) -> Queue:
        name = self.queue_name(spec)
        return Queue(f"{name}.dead", exchange=self.dead_letter_exchange(), routing_key=name, durable=True,
                     queue_arguments={"x-queue-type": "quorum"})

    def all_exchanges(self) -> list[Exchange]:
        return [self.exchange(p) for p in PUBLISHERS] + [self.dead_letter_exchange()]

    def all_queues(self, consumer: str | None = None) -> list[Queue]:
        specs = QUEUES if consumer is None else queues_of(consumer)
        return [q for s in specs for q in (self.queue(s), self.dead_letter_queue(s))]

    def declare(self, connection: Connection, consumer: str | None = None) -> None:
        """Declare the exchanges, and the queues of ``consumer`` (all when None). Idempotent."""
        channel = connection.default_channel
        for exchange in self.all_exchanges():
            exchange(channel).declare()
        for queue in self.all_queues(consumer):
            queue(channel).declare()

    def delete(self, connection: Connection) -> None:
        """Remove every exchange and queue under this prefix (test runs clean up after themselves)."""
        channel = connection.default_channel
        for queue in self.all_queues():
            queue(channel).delete()
        for exchange in self.all_exchanges():
            exchange(channel).delete()

