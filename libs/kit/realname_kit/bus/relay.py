"""The outbox relay: publishes committed outbox rows and marks them published.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` inside one transaction that stays open while the
broker confirms, so several relays can run at once and no row is published twice concurrently. A
relay that dies after the broker received a batch but before marking it republishes the batch; the
consumers' inbox makes that second delivery harmless.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Row, select, update

from realname_kit.bus.confirming_publisher import OutgoingMessage
from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.metrics import count_relayed
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


class Publisher(Protocol):
    def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float = 30.0) -> None: ...


class Relay:
    def __init__(self, db: Database, outbox: Any, publisher: Publisher, exchange: str, *,
                 batch_size: int = 500, idle_seconds: float = 0.05, sole: bool = False,
                 service: str | None = None, heartbeat: Callable[[], None] = lambda: None) -> None:
        """``sole``: the only relay of this outbox (all-in-one mode), which publishes between two short
        transactions instead of inside one: the in-process bus hands the events to their handlers at
        once, and a handler of the same service must be able to write to the same (SQLite) database.

        ``heartbeat`` is called at every round, failed or not: readiness sees the relay going round."""
        self.db, self.table, self.publisher = db, outbox, publisher
        self.exchange, self.batch_size, self.idle_seconds = exchange, batch_size, idle_seconds
        self.sole, self.heartbeat = sole, heartbeat
        # The exchange is ``<prefix><service>.events``: the service, unless named.
        self.service = service or exchange.removesuffix(".events").rsplit(".", 1)[-1]

    def relay_once(self) -> int:
        """Publish one batch of pending rows. Returns how many were published."""
        published = self._relay_alone() if self.sole else self._relay_claimed()
        count_relayed(self.service, published)
        return published

    def _relay_claimed(self) -> int:
        with self.db.transaction() as session:
            rows = session.execute(self._pending().with_for_update(skip_locked=True)).all()
            if not rows:
                return 0
            self.publisher.publish([self._message(r) for r in rows])
            self._mark(session, rows)
        return len(rows)

    def _relay_alone(self) -> int:
        """A crash between publishing and marking republishes the batch; the inboxes drop the repeats."""
        with self.db.transaction() as session:
            rows = session.execute(self._pending()).all()
        if not rows:
            return 0
        self.publisher.publish([self._message(r) for r in rows])
        with self.db.transaction() as session:
            self._mark(session, rows)
        return len(rows)

    def _pending(self) -> Any:
        t = self.table
        return (select(t.c.seq, t.c.id, t.c.type, t.c.correlation_id, t.c.payload)
                .where(t.c.published_at.is_(None)).order_by(t.c.seq).limit(self.batch_size))

    def _mark(self, session: Any, rows: Any) -> None:
        t = self.table
        session.execute(update(t).where(t.c.seq.in_([r.seq for r in rows])).values(published_at=utcnow()))

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            self.heartbeat()
            try:
                published = self.relay_once()
                backoff = 0.5
            except Exception as exc:  # the broker or the database is away: wait and try again
                log.warning("relay_failed", exchange=self.exchange, error=repr(exc), retry_in=backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if published < self.batch_size:
                stop.wait(self.idle_seconds)

    def _message(self, row: Row[Any, Any, Any, Any, Any]) -> OutgoingMessage:
        return OutgoingMessage(exchange=self.exchange, routing_key=row.type, body=row.payload.encode(),
                               message_id=row.id, type=row.type, correlation_id=row.correlation_id,
                               timestamp=int(time.time()))
