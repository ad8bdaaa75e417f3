"""Transactional outbox: an event is written in the same transaction as the change that caused it."""

from __future__ import annotations

import json
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
        envelope = Envelope(type=event_type, source=self.source, data=data, version=version,
                            correlation_id=correlation_id())
        session.execute(insert(self.table).values(
            id=envelope.id, type=envelope.type, version=envelope.version,
            occurred_at=envelope.occurred_at, source=envelope.source,
            correlation_id=envelope.correlation_id,
            data=json.dumps(envelope.data, ensure_ascii=False, separators=(",", ":")),
        ))
        return envelope
