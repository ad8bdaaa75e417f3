"""Transactional outbox: an event is written in the same transaction as the change that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.topology import wait_routing_key, wait_tier
from realname_kit.logs import correlation_id


class Outbox:
    """The outbox of one service: ``outbox.record(session, "worker.registered", {...})``."""

    def __init__(self, table: Table, source: str) -> None:
        self.table = table
        self.source = source

    def record(self, session: Session, event_type: str, data: dict[str, Any], *, version: int = 1,
               wait_seconds: float | None = None) -> Envelope:
        """``wait_seconds``: deliver it that much later (through a wait queue: the tier at or below it)."""
        return self.record_many(session, event_type, [data], version=version, wait_seconds=wait_seconds)[0]

    def record_many(self, session: Session, event_type: str, items: Sequence[dict[str, Any]], *,
                    version: int = 1, wait_seconds: float | None = None) -> list[Envelope]:
        """Record several events of one type in one statement (batch registrations, imports).

        The row's ``type`` is the routing key the relay publishes with: the event type, or for a delayed
        event its wait routing key (the envelope inside keeps the plain event type).
        """
        if not items:
            return []  # an empty parameter list would insert one row of defaults, not none
        envelopes = [Envelope(type=event_type, source=self.source, data=data, version=version,
                              correlation_id=correlation_id()) for data in items]
        routing_key = event_type
        if wait_seconds is not None:
            routing_key = wait_routing_key(event_type, wait_tier(self.source, event_type, wait_seconds))
        session.execute(insert(self.table), [{
            "id": e.id, "type": routing_key, "version": e.version, "occurred_at": e.occurred_at,
            "source": e.source, "correlation_id": e.correlation_id, "payload": e.to_json().decode(),
        } for e in envelopes])
        return envelopes
