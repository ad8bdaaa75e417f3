"""The local spool of outgoing messages the broker has not confirmed yet (SQLite in WAL mode), shared by the card
reader and the site bridge.

Every message is written here before it is published and deleted only once the broker has confirmed it, so a
crash, a network cut or a broker outage loses nothing (R3: reads are kept until they can be handled). A message
is its id (the envelope's, so every re-send is recognisable), the exchange and routing key it goes to, its body
and the moment it was spooled. Other tables of the same program may live in the same file (the bridge's command
journal: ``transaction`` lets them change with the spool in one commit).

The file holds personal data (sealed cards, face photos in the bridge's journal), so it lives in the profile of
the user running the program (never a shared folder), created 0600 on POSIX (SQLite gives its ``-wal``/``-shm``
files the same mode), and deleted rows have their pages overwritten (``secure_delete``).

The card reader's view (``CardSpool``) is in ``spool``; its older ``card_reads`` table is migrated into
``outgoing`` when the file is opened.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_MODE = 0o600
DIR_MODE = 0o700

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outgoing (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL
)
"""


BUSY_WAIT_S = 30.0  # how long a connection waits for another's commit before it gives up


def _write_ahead_log(db: sqlite3.Connection) -> None:
    """Switch the file to WAL once. The switch needs the file to itself and SQLite answers "locked" at once, without
    waiting, while another process opens the same new spool: try again for a while."""
    deadline = time.monotonic() + BUSY_WAIT_S
    while db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass(frozen=True, repr=False)
class SpooledMessage:
    id: str
    exchange: str  # "" for the card reader's reads: the exchange its publisher is configured with
    routing_key: str
    body: bytes
    created_at: str  # ISO 8601, UTC

    def __repr__(self) -> str:
        # Spooled messages end up in logs: a body may hold personal data (R4), so only its size is shown.
        return (f"SpooledMessage(id={self.id!r}, exchange={self.exchange!r}, routing_key={self.routing_key!r}, "
                f"body=<{len(self.body)} bytes>, created_at={self.created_at!r})")


class Spool:
    """Thread-safe: producers add while the publisher thread sends and confirms."""

    def __init__(self, path: str | Path, *, schema: Sequence[str] = ()) -> None:
        self.path = Path(path)
        _create_private(self.path)
        self._lock = threading.Lock()
        # Another process (the doctor, a second look at the same spool) may be mid-commit: wait for it, not fail.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_WAIT_S)
        _write_ahead_log(self._db)
        self._db.execute("PRAGMA synchronous=FULL")  # a message reported as spooled must survive a power cut
        self._db.execute("PRAGMA secure_delete=ON")  # a confirmed message leaves no trace in the file
        with self.transaction() as db:
            for statement in (_SCHEMA, *schema):
                db.execute(statement)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, message_id: str, exchange: str, routing_key: str, body: bytes,
            created_at: datetime | None = None) -> None:
        """Keep a message; adding the same id again changes nothing (the first copy stays)."""
        with self.transaction() as db:
            add_message(db, message_id, exchange, routing_key, body, created_at=created_at)

    def pending(self, limit: int = 100) -> list[SpooledMessage]:
        """The oldest ``limit`` messages not confirmed yet, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id, exchange, routing_key, body, created_at FROM outgoing "
                                    "ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [SpooledMessage(i, exchange, key, bytes(body), at) for i, exchange, key, body, at in rows]

    def replace_body(self, message_id: str, body: bytes) -> None:
        """Put another body in a kept message (a plain card read sealed); its place in the order stays."""
        with self.transaction() as db:
            db.execute("UPDATE outgoing SET body = ? WHERE id = ?", (body, message_id))

    def confirmed(self, message_ids: Iterable[str]) -> None:
        """Forget messages the broker has confirmed; unknown ids are ignored (a message confirmed twice)."""
        with self.transaction() as db:
            db.executemany("DELETE FROM outgoing WHERE id = ?", [(message_id,) for message_id in message_ids])

    def count(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT count(*) FROM outgoing").fetchone()
        return int(n)

    def query(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Rows of another table of this file (the bridge's journal)."""
        with self._lock:
            return list(self._db.execute(sql, parameters).fetchall())

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


def add_message(db: sqlite3.Connection, message_id: str, exchange: str, routing_key: str, body: bytes, *,
                created_at: datetime | None = None) -> None:
    """Spool a message inside a transaction the caller holds (``Spool.transaction``)."""
    moment = (created_at or datetime.now(UTC)).astimezone(UTC).isoformat()
    db.execute("INSERT OR IGNORE INTO outgoing (id, exchange, routing_key, body, created_at) VALUES (?, ?, ?, ?, ?)",
               (message_id, exchange, routing_key, body, moment))


def _create_private(path: Path) -> None:
    """Create the file 0600 (and the folders it needs 0700) before SQLite opens it, so the personal data is
    never readable by others. A folder that was there already is the operator's: it is left as it is."""
    for folder in reversed([p for p in (path.parent, *path.parent.parents) if not p.exists()]):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, FILE_MODE)  # a umask can only narrow the mode, but be explicit about what the file must be
