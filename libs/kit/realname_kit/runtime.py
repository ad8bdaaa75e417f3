"""Wiring a service's handlers to its queues, shared by the consumer process and all-in-one mode."""

from __future__ import annotations

from realname_kit.bus.processing import MessageProcessor
from realname_kit.bus.topology import QueueSpec, Topology, queues_of
from realname_kit.db import Database
from realname_kit.service import ServiceSpec
from realname_kit.settings import Settings


def processors_for(spec: ServiceSpec, db: Database, topology: Topology,
                   settings: Settings) -> list[tuple[QueueSpec, MessageProcessor]]:
    """One processor per queue of the service, named after the queue under ``topology``."""
    subscriptions = []
    all_handlers = spec.handlers_for(settings)
    for queue in queues_of(spec.name):
        missing = queue.event_types - set(all_handlers)
        if missing:
            raise RuntimeError(f"{spec.name}: queue {queue.purpose} receives {sorted(missing)} but has no handler")
        handlers = {t: all_handlers[t] for t in queue.event_types}
        processor = MessageProcessor(topology.queue_name(queue), db, spec.inbox_table, handlers,
                                     delivery_limit=topology.delivery_limit)
        subscriptions.append((queue, processor))
    return subscriptions
