"""Transactional outbox: an event is written in the same transaction as the change that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from realname_kit.bus.envelope import Envelope
from realname_kit.logs import correlation_id


class Outbox:
    """The outbox of one service: ``outbox.record(session, "worker.registered", {...})``."""

    def __init__(self, table: Table, source: str) -> None:
        self.table = table
        self.source = source

    def record(self, session: Session, event_type: str, data: dict[str, Any], *, version: int = 1) -> Envelope:
        return self.record_many(session, event_type, [data], version=version)[0]

    def record_many(self, session: Session, event_type: str, items: Sequence[dict[str, Any]], *,
                    version: int = 1) -> list[Envelope]:
        """Record several events of one type in one statement (batch registrations, imports)."""
        envelopes = [Envelope(type=event_type, source=self.source, data=data, version=version,
                              correlation_id=correlation_id()) for data in items]
        session.execute(insert(self.table), [{
            "id": e.id, "type": e.type, "version": e.version, "occurred_at": e.occurred_at,
            "source": e.source, "correlation_id": e.correlation_id, "payload": e.to_json().decode(),
        } for e in envelopes])
        return envelopes
