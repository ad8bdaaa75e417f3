"""The in-process bus's wait queues: delayed events kept in a SQLite file until they are due.

All-in-one mode has no broker to hold a delayed event, and a delay may span a weekend and a restart, so
the events wait on disk. ``due`` hands out what is due; ``done`` forgets a delivered event. An event is
deleted only after its delivery, so a crash in between delivers it again (the inbox drops the repeat).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS waiting (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    due REAL NOT NULL,
    publisher TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body BLOB NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class WaitingEvent:
    seq: int
    publisher: str
    event_type: str
    body: bytes


class WaitingRoom:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    def wait(self, publisher: str, event_type: str, body: bytes, seconds: float) -> None:
        with self._lock:
            self._db.execute("INSERT INTO waiting (due, publisher, event_type, body) VALUES (?, ?, ?, ?)",
                             (time.time() + seconds, publisher, event_type, body))

    def due(self, limit: int = 500) -> list[WaitingEvent]:
        with self._lock:
            rows = self._db.execute("SELECT seq, publisher, event_type, body FROM waiting WHERE due <= ? "
                                    "ORDER BY due, seq LIMIT ?", (time.time(), limit)).fetchall()
        return [WaitingEvent(int(r[0]), str(r[1]), str(r[2]), bytes(r[3])) for r in rows]

    def done(self, events: list[WaitingEvent]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM waiting WHERE seq = ?", [(e.seq,) for e in events])

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM waiting").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
