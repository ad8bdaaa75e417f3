"""Every exchange and queue of the platform, declared here and nowhere else.

One durable topic exchange per publishing service (``<service>.events``, routing key = event type);
one quorum queue per consuming service and purpose (``<service>.<purpose>``) with a delivery limit and
a dead-letter queue (``<queue>.dead``) behind the shared ``dead-letters`` exchange.

Delayed delivery (a retry later, through the broker rather than a sleeping thread): a queue that lists
``waits`` gets one wait queue per delay (``<queue>.wait-<n>s``) without consumers, whose messages expire
after ``n`` seconds into the queue itself. An event is sent there by publishing it with the routing key
``<event type>.wait-<n>s`` (``Outbox.record(..., wait_seconds=…)`` picks the tier).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding

# "edge": the card readers at employers' offices, each publishing card.read with its own broker account.
PUBLISHERS = ("identity", "registry", "assignment", "attendance", "gateway", "edge")
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


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("assignment", "enterprises", (Binding("registry", "enterprise.registered"),)),
    QueueSpec("reporting", "enterprises", (Binding("registry", "enterprise.registered"),)),
    QueueSpec("registry", "projects", (Binding("assignment", "project.registered"),)),
    # Whom an employer may assign, and who exits when their employment ends (R18, R24).
    QueueSpec("assignment", "workers", (Binding("registry", "worker.registered"), Binding("registry", "worker.updated"),
                                        Binding("registry", "employment.ended"), Binding("registry", "worker.died"),
                                        Binding("registry", "team.formed"))),
    # A completed subcontract or project exits everyone under it (R24): the service's own events, so that the
    # completion answers at once and the exits follow in batches.
    QueueSpec("assignment", "completions", (Binding("assignment", "contract.completed"),
                                            Binding("assignment", "project.completed"))),
    # Card reads fill registrations in, pending ones too; registrations wait for their verification (R1, R3).
    QueueSpec("registry", "identity",
              (Binding("identity", "identity.read_pending"), Binding("identity", "identity.verified"),
               Binding("identity", "identity.rejected"))),
    # Large Excel imports run as jobs, one message each, picked up by the registry's own consumer (R10).
    QueueSpec("registry", "imports", (Binding("registry", "import.requested"),)),
    # Card reads from the edge-readers (R1), and their verification, retried later while the authority is
    # closed or failing (R3): 2 s for a blip, up to 30 minutes across a weekend.
    QueueSpec("identity", "card-reads", (Binding("edge", "card.read"),)),
    # One probe at a time looks for the authority's return before its announced reopening.
    QueueSpec("identity", "verifications", (Binding("identity", "identity.verification_due"),
                                            Binding("identity", "identity.authority_probe_due")),
              waits=(2, 10, 60, 300, 1800)),
    # The audit log (realname_kit.audit): every publisher records its audited acts as audit.recorded.
    QueueSpec("reporting", "audit", tuple(Binding(p, "audit.recorded") for p in PUBLISHERS)),
)


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

    def all_exchanges(self) -> list[Exchange]:
        return [self.exchange(p) for p in PUBLISHERS] + [self.dead_letter_exchange()]

    def all_queues(self, consumer: str | None = None) -> list[Queue]:
        specs = QUEUES if consumer is None else queues_of(consumer)
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

