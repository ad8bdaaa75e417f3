"""The card reader's view of the spool (``spooling.Spool``): card reads the broker has not confirmed yet.

A read is an outgoing message whose id is the read id, whose moment is the read's (UTC, ISO 8601; it becomes
the event's ``occurred_at`` and stays the same on every re-send) and whose body is the ``card.read`` payload as
JSON. Its exchange is left empty: a read goes to the exchange the publisher is configured with at the time it is
sent, as before. The publisher stores the card sealed with the reader account's key (``realname_codes.card_seal``),
so the file holds no name, number or address in clear.

A spool file of an older reader has its reads in a ``card_reads`` table: they are moved into ``outgoing`` (same
ids, moments, payloads and order) in one transaction when the file is opened, and the old table is dropped (its
pages overwritten: ``secure_delete``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from realname_edge.spooling import DIR_MODE, FILE_MODE, Spool

__all__ = ["DIR_MODE", "FILE_MODE", "ROUTING_KEY", "CardSpool", "SpooledRead"]

ROUTING_KEY = "card.read"


@dataclass(frozen=True, repr=False)
class SpooledRead:
    read_id: str
    read_at: str  # ISO 8601, UTC
    payload: dict[str, Any]

    def __repr__(self) -> str:
        # Spooled reads end up in logs: the payload is personal data (R4), so only its size is shown.
        return f"SpooledRead(read_id={self.read_id!r}, read_at={self.read_at!r}, payload=<{len(self.payload)} fields>)"


class CardSpool:
    """Thread-safe: the reader loop adds while a retry timer may publish."""

    def __init__(self, path: str | Path) -> None:
        self.messages = Spool(path)
        self.path = self.messages.path
        self._migrate_card_reads()

    def __enter__(self) -> CardSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.messages.close()

    def add(self, read_id: str, payload: Mapping[str, Any], read_at: datetime | None = None) -> None:
        """Keep a read; adding the same read id again changes nothing (the first copy stays)."""
        self.messages.add(read_id, "", ROUTING_KEY, _body(payload), read_at)

    def pending(self, limit: int = 100) -> list[SpooledRead]:
        """The oldest ``limit`` reads not confirmed yet, oldest first."""
        return [read_of(message.id, message.created_at, message.body) for message in self.messages.pending(limit)]

    def replace(self, read_id: str, payload: Mapping[str, Any]) -> None:
        """Put another payload in a kept read (a plain one sealed); its place in the order stays."""
        self.messages.replace_body(read_id, _body(payload))

    def confirmed(self, read_ids: Iterable[str]) -> None:
        """Forget reads the broker has confirmed; unknown ids are ignored (a read confirmed twice)."""
        self.messages.confirmed(read_ids)

    def count(self) -> int:
        return self.messages.count()

    def _migrate_card_reads(self) -> None:
        with self.messages.transaction() as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'card_reads'").fetchone():
                return
            _move_card_reads(db)


def read_of(read_id: str, read_at: str, body: bytes | str) -> SpooledRead:
    return SpooledRead(read_id, read_at, json.loads(body))


def _move_card_reads(db: sqlite3.Connection) -> None:
    db.execute("INSERT OR IGNORE INTO outgoing (id, exchange, routing_key, body, created_at) "
               "SELECT read_id, '', ?, CAST(payload AS BLOB), read_at FROM card_reads ORDER BY seq", (ROUTING_KEY,))
    db.execute("DROP TABLE card_reads")


def _body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":")).encode()
