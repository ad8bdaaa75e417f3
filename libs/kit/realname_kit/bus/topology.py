"""The exchanges and queues of the platform, assembled from what each service declares on its ``ServiceSpec``.

One durable topic exchange per publisher (``<publisher>.events``, routing key = event type); one quorum queue per
consuming service and purpose (``<service>.<purpose>``) with a delivery limit and a dead-letter queue
(``<queue>.dead``) behind the shared ``dead-letters`` exchange. A service lists the queues it consumes
(``ServiceSpec.queues``) and the publishers whose exchanges it declares (``ServiceSpec.publishers``: its own, and
those of outside devices it answers for); this module names them and declares them, and knows no service.

Delayed delivery (a retry later, through the broker rather than a sleeping thread): a queue that lists
``waits`` gets one wait queue per delay (``<queue>.wait-<n>s``) without consumers, whose messages expire
after ``n`` seconds into the queue itself. An event is sent there by publishing it with the routing key
``<event type>.wait-<n>s`` (``Outbox.record(..., wait_seconds=…)`` picks the tier).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from kombu import Connection, Exchange, Queue, binding

if TYPE_CHECKING:
    from realname_kit.service import ServiceSpec

# A binding from this publisher stands for one from every publisher of the platform (an event they all send).
EVERY_PUBLISHER = "*"
_WAIT = re.compile(r"^(?P<event>.+)\.wait-(?P<seconds>[0-9]+)s$")


@dataclass(frozen=True, slots=True)
class Binding:
    publisher: str
    event_type: str


@dataclass(frozen=True, slots=True)
class QueueSpec:
    consumer: str
    purpose: str
    bindings: tuple[Binding, ...]
    waits: tuple[int, ...] = ()  # seconds: the delays at which its events may be delivered again

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(b.event_type for b in self.bindings)


@dataclass(frozen=True, slots=True)
class Declared:
    """The platform's bus: every publisher (one exchange each) and every queue, from all services' specs."""

    publishers: tuple[str, ...]
    queues: tuple[QueueSpec, ...]


def assemble(specs: Sequence[ServiceSpec]) -> Declared:
    """The bus the specs declare; a queue another service's spec declares, or two specs declare, is refused."""
    publishers = tuple(p for spec in specs for p in spec.declared_publishers)
    if len(set(publishers)) != len(publishers):
        raise ValueError(f"a publisher is declared by two services: {sorted(publishers)}")
    queues: dict[tuple[str, str], QueueSpec] = {}
    for spec in specs:
        for queue in spec.queues:
            if queue.consumer != spec.name:
                raise ValueError(f"{spec.name} declares the queue {queue.consumer}.{queue.purpose} of another service")
            if (queue.consumer, queue.purpose) in queues:
                raise ValueError(f"{spec.name} declares the queue {queue.consumer}.{queue.purpose} twice")
            queues[queue.consumer, queue.purpose] = _from_publishers(queue, publishers)
    return Declared(publishers, tuple(queues.values()))


def _from_publishers(queue: QueueSpec, publishers: tuple[str, ...]) -> QueueSpec:
    bindings: list[Binding] = []
    for b in queue.bindings:
        if b.publisher == EVERY_PUBLISHER:
            bindings += [Binding(p, b.event_type) for p in publishers]
        elif b.publisher in publishers:
            bindings.append(b)
        else:
            raise ValueError(f"{queue.consumer}.{queue.purpose} binds {b.event_type} of {b.publisher}, "
                             "which no service declares as a publisher")
    return replace(queue, bindings=tuple(bindings))


@cache
def declared() -> Declared:
    # The services' specs import the kit, this module among it: they are loaded when first asked for, not on import.
    from realname_kit.service import platform_specs
    return assemble(platform_specs())


def declared_queues() -> tuple[QueueSpec, ...]:
    return declared().queues


def publishers() -> tuple[str, ...]:
    return declared().publishers


def wait_routing_key(event_type: str, seconds: int) -> str:
    return f"{event_type}.wait-{seconds}s"


def waiting(routing_key: str) -> tuple[str, int] | None:
    """``(event type, seconds)`` of a wait routing key; None for a plain event type."""
    match = _WAIT.match(routing_key)
    return (match["event"], int(match["seconds"])) if match else None


def wait_tier(publisher: str, event_type: str, seconds: float) -> int:
    """The wait queue tier for a delay of ``seconds``: the longest tier not longer than it (at least the shortest).

    A delay longer than the longest tier takes several hops; the handler sees that the event is not due yet
    and sends it round again.
    """
    tiers = sorted({w for spec in subscribers(publisher, event_type) for w in spec.waits})
    if not tiers:
        raise ValueError(f"no queue takes {event_type} from {publisher} later: give its QueueSpec waits")
    return max([t for t in tiers if t <= seconds], default=tiers[0])


def queues_of(consumer: str) -> tuple[QueueSpec, ...]:
    return tuple(q for q in declared_queues() if q.consumer == consumer)


def subscribers(publisher: str, event_type: str) -> Iterator[QueueSpec]:
    for spec in declared_queues():
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

    def wait_queue(self, spec: QueueSpec, seconds: int) -> Queue:
        """Holds the queue's delayed events ``seconds``, then dead-letters them into the queue (default exchange)."""
        target = self.queue_name(spec)
        return Queue(
            f"{target}.wait-{seconds}s",
            bindings=[binding(self.exchange(b.publisher), routing_key=wait_routing_key(b.event_type, seconds))
                      for b in spec.bindings],
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": seconds * 1000,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": target,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )

    def queues_for(self, spec: QueueSpec) -> list[Queue]:
        """The queue, its dead-letter queue and its wait queues."""
        return [self.queue(spec), self.dead_letter_queue(spec), *(self.wait_queue(spec, w) for w in spec.waits)]

    def dead_letter_queue(self, spec: QueueSpec) -> Queue:
        name = self.queue_name(spec)
        return Queue(f"{name}.dead", exchange=self.dead_letter_exchange(), routing_key=name, durable=True,
                     queue_arguments={"x-queue-type": "quorum"})

    def presence_queue(self, service: str, process: str) -> Queue:
        """Consumed by every running ``process`` (e.g. relay) of ``service`` while it works, never sent to:
        its consumer count is how many run (``realname_kit.bus.liveness``). It goes with its last consumer."""
        return Queue(f"{self.prefix}{service}.{process}.presence", durable=True, auto_delete=True,
                     queue_arguments={"x-queue-type": "classic"})

    def all_exchanges(self) -> list[Exchange]:
        return [self.exchange(p) for p in publishers()] + [self.dead_letter_exchange()]

    def all_queues(self, consumer: str | None = None) -> list[Queue]:
        specs = declared_queues() if consumer is None else queues_of(consumer)
        return [q for s in specs for q in self.queues_for(s)]

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

