"""Wiring a service's handlers to its queues, shared by the consumer process and all-in-one mode."""

from __future__ import annotations

from realname_kit.bus.processing import MessageProcessor
from realname_kit.bus.topology import QueueSpec, Topology, queues_of
from realname_kit.db import Database
from realname_kit.service import ServiceSpec


def processors_for(spec: ServiceSpec, db: Database,
                   topology: Topology) -> list[tuple[QueueSpec, MessageProcessor]]:
    """One processor per queue of the service, named after the queue under ``topology``."""
    subscriptions = []
    for queue in queues_of(spec.name):
        missing = queue.event_types - set(spec.handlers)
        if missing:
            raise RuntimeError(f"{spec.name}: queue {queue.purpose} receives {sorted(missing)} but has no handler")
        handlers = {t: spec.handlers[t] for t in queue.event_types}
        processor = MessageProcessor(topology.queue_name(queue), db, spec.inbox_table, handlers)
        subscriptions.append((queue, processor))
    return subscriptions
