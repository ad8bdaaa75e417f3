"""Data that would grow for ever, deleted past its retention, a small batch at a time.

Every service: published outbox rows, inbox ids and idempotency keys (the kit's tables); a service names its
own (the gateway's expired login challenges and refresh tokens) as ``Retention`` on its ``ServiceSpec``. The
relay process of each service (and all-in-one mode) runs a ``Pruner`` beside its relay.

Each batch is one short transaction over at most ``batch`` rows, found by walking the primary key from where
the previous batch stopped (so a million rows cost one pass over the index, not a scan per batch). The relay
never waits for it: it reads only unpublished outbox rows, which are never deleted, and several pruners skip
the rows another one holds (``SKIP LOCKED``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Table, delete, select, tuple_

from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.settings import Settings
from realname_kit.timeutil import utcnow

log = get_logger(__name__)

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Retention:
    """Rows of ``table`` whose ``column`` (a time) is older than the hours of ``setting`` go."""

    table: str
    column: str
    setting: str


# The kit's own tables, in every service that has them.
KIT_RETENTIONS = (
    Retention("outbox", "published_at", "REALNAME_RETAIN_OUTBOX_HOURS"),  # NULL (unpublished) is never older
    # An inbox id must outlive every copy of its message that may still arrive: a relay that died between
    # publishing and marking republishes within minutes; a queue whose consumers were down for days delivers
    # the backlog late; a dead letter replayed after a fix may have been handled once already (the replay
    # command dies between confirm and ack). Its retention is weeks, well past any outage we keep a queue for.
    Retention("inbox", "handled_at", "REALNAME_RETAIN_INBOX_HOURS"),
    # A caller who retries with the same Idempotency-Key after this long gets a second effect.
    Retention("idempotency_keys", "created_at", "REALNAME_RETAIN_IDEMPOTENCY_HOURS"),
    # A denial past its expiry refuses nothing (every token it named has expired too).
    Retention("token_denials", "expires_at", "REALNAME_RETAIN_TOKEN_DENIALS_HOURS"),
)


@dataclass
class Pruned:
    rows: int = 0
    batches: int = 0
    longest_batch: float = 0.0  # seconds of the longest transaction


class Pruner:
    def __init__(self, db: Database, tables: Sequence[tuple[Table, str, float]], *, batch: int = 5000,
                 interval: float = 600.0, pause: float = 0.02) -> None:
        """``tables``: (table, time column, retention in hours). ``pause``: between batches, so that on SQLite
        (one writer at a time) the other writers get in."""
        self.db, self.tables, self.batch, self.interval, self.pause = db, tables, batch, interval, pause

    @classmethod
    def for_service(cls, db: Database, tables: dict[str, Table], retentions: Sequence[Retention],
                    settings: Settings) -> Pruner:
        chosen = [(tables[r.table], r.column, float(settings.value(r.setting)))
                  for r in (*KIT_RETENTIONS, *retentions) if r.table in tables]
        return cls(db, chosen, batch=int(settings.value("REALNAME_PRUNE_BATCH")),
                   interval=float(settings.value("REALNAME_PRUNE_INTERVAL_SECONDS")))

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.prune_once(stop)
            except Exception as exc:  # the database is away: the next round tries again
                log.warning("prune_failed", error=repr(exc)[:300])

    def prune_once(self, stop: threading.Event | None = None) -> dict[str, Pruned]:
        done: dict[str, Pruned] = {}
        now = utcnow()
        for table, column, hours in self.tables:
            done[table.name] = self._prune(table, table.c[column] < now - timedelta(hours=hours), stop)
            if done[table.name].rows:
                log.info("pruned", table=table.name, rows=done[table.name].rows, batches=done[table.name].batches,
                         longest_batch_ms=round(done[table.name].longest_batch * 1000, 1))
        return done

    def _prune(self, table: Table, expired: ColumnElement[bool], stop: threading.Event | None) -> Pruned:
        keys = list(table.primary_key.columns)
        key = keys[0] if len(keys) == 1 else tuple_(*keys)
        pruned, after = Pruned(), None
        while stop is None or not stop.is_set():
            started = time.monotonic()
            batch = select(*keys).where(expired)
            if after is not None:
                batch = batch.where(key > (after[0] if len(keys) == 1 else tuple_(*after)))
            batch = batch.order_by(*keys).limit(self.batch).with_for_update(skip_locked=True)
            with self.db.transaction() as session:  # one statement: the keys never travel to Python and back
                gone = session.execute(delete(table).where(key.in_(batch)).returning(*keys)).all()
            pruned.longest_batch = max(pruned.longest_batch, time.monotonic() - started)
            pruned.rows += len(gone)
            pruned.batches += 1
            if len(gone) < self.batch:
                break
            after = max(tuple(row) for row in gone)  # RETURNING keeps no order
            time.sleep(self.pause)
        return pruned

