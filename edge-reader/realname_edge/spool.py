"""The local spool of card reads the broker has not confirmed yet (SQLite in WAL mode).

Every read is written here before it is published, and deleted only once the broker has confirmed it, so a
crash, a network cut or a broker outage loses no read (R3: reads are kept until they can be handled).

What is stored, per read: the read id, the moment of the read (UTC, ISO 8601; it becomes the event's
``occurred_at`` and stays the same on every re-send) and the ``card.read`` payload as JSON. The publisher
stores the card sealed with the reader account's key (``realname_codes.card_seal``), so the file holds no
name, number or address in clear; it still lives in the profile of the user running the reader (never a
shared folder), created 0600 on POSIX (SQLite gives its ``-wal``/``-shm`` files the same mode). Confirmed
reads are deleted at once, their pages overwritten (``secure_delete``), so the file holds only the backlog.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_MODE = 0o600
DIR_MODE = 0o700

_SCHEMA = """
CREATE TABLE IF NOT EXISTS card_reads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    read_id TEXT NOT NULL UNIQUE,
    read_at TEXT NOT NULL,
    payload TEXT NOT NULL
)
"""


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
        self.path = Path(path)
        _create_private(self.path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a read reported as spooled must survive a power cut
        self._db.execute("PRAGMA secure_delete=ON")  # a replaced plain read of an older reader leaves no trace
        self._db.execute(_SCHEMA)

    def __enter__(self) -> CardSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, read_id: str, payload: Mapping[str, Any], read_at: datetime | None = None) -> None:
        """Keep a read; adding the same read id again changes nothing (the first copy stays)."""
        moment = (read_at or datetime.now(UTC)).astimezone(UTC).isoformat()
        body = json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":"))
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO card_reads (read_id, read_at, payload) VALUES (?, ?, ?)",
                       (read_id, moment, body))

    def pending(self, limit: int = 100) -> list[SpooledRead]:
        """The oldest ``limit`` reads not confirmed yet, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT read_id, read_at, payload FROM card_reads ORDER BY seq LIMIT ?",
                                    (limit,)).fetchall()
        return [SpooledRead(read_id, read_at, json.loads(payload)) for read_id, read_at, payload in rows]

    def replace(self, read_id: str, payload: Mapping[str, Any]) -> None:
        """Put another payload in a kept read (a plain one sealed); its place in the order stays."""
        body = json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":"))
        with self._transaction() as db:
            db.execute("UPDATE card_reads SET payload = ? WHERE read_id = ?", (body, read_id))

    def confirmed(self, read_ids: Iterable[str]) -> None:
        """Forget reads the broker has confirmed; unknown ids are ignored (a read confirmed twice)."""
        with self._transaction() as db:
            db.executemany("DELETE FROM card_reads WHERE read_id = ?", [(read_id,) for read_id in read_ids])

    def count(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT count(*) FROM card_reads").fetchone()
        return int(n)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


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
