"""The bridge's command journal, in the spool's file: a command taken from the broker is kept here until its
acknowledgement is spooled.

Order of events for each command: written here (committed) → acked to the broker → handed to its driver. A
SIGKILL after the AMQP ack therefore loses nothing: on start, every unfinished entry is handed to its driver
again. The entry is finished in the same transaction that spools the driver's acknowledgement (``finish``), so
there is no moment at which the command is neither journalled nor answered. A finished entry keeps only its id
(a redelivered copy of the command is recognised and not done twice); its body, which may hold a face photo, is
deleted at once (``secure_delete`` overwrites it), and the id is forgotten after ``KEEP_FINISHED``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from realname_codes.gate_protocol import Command, InvalidGateMessage, decode
from realname_edge.spooling import Spool

KEEP_FINISHED = timedelta(days=7)

SCHEMA = """
CREATE TABLE IF NOT EXISTS command_journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL UNIQUE,
    priority INTEGER NOT NULL,
    body BLOB,
    received_at TEXT NOT NULL,
    finished_at TEXT
)
"""


class CommandJournal:
    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        forget_before = (datetime.now(UTC) - KEEP_FINISHED).isoformat()
        with spool.transaction() as db:
            db.execute("DELETE FROM command_journal WHERE finished_at < ?", (forget_before,))

    def record(self, command: Command, body: bytes) -> bool:
        """Keep a command taken from the broker; False when it was taken before (a redelivery): not to be done
        again, whether it is still under way or already answered."""
        return self.record_all([(command, body)])[0]

    def record_all(self, taken: list[tuple[Command, bytes]]) -> list[bool]:
        """``record`` for several commands in one commit (the broker hands them over a window at a time, and each
        commit waits for the disk); for each, whether it is fresh."""
        insert = "INSERT OR IGNORE INTO command_journal (command_id, priority, body, received_at) VALUES (?, ?, ?, ?)"
        with self.spool.transaction() as db:
            return [db.execute(insert, (command.command_id, command.priority, body, _now())).rowcount == 1
                    for command, body in taken]

    def unfinished(self) -> list[Command]:
        """The commands taken and not answered yet, most urgent first (a revoke before enrols, R26), then in the
        order they came."""
        rows = self.spool.query("SELECT body FROM command_journal WHERE finished_at IS NULL "
                                "ORDER BY priority DESC, seq")
        commands = []
        for (body,) in rows:
            try:
                _, message = decode(bytes(body))
            except InvalidGateMessage:  # it was checked before it was journalled; a damaged row is skipped
                continue
            if isinstance(message, Command):
                commands.append(message)
        return commands

    def count_unfinished(self) -> int:
        ((n,),) = self.spool.query("SELECT count(*) FROM command_journal WHERE finished_at IS NULL")
        return int(n)


def finish(db: sqlite3.Connection, command_id: str) -> None:
    """Mark a command answered, inside the transaction that spools its acknowledgement."""
    db.execute("UPDATE command_journal SET finished_at = ?, body = NULL WHERE command_id = ? AND finished_at IS NULL",
               (_now(), command_id))


def _now() -> str:
    return datetime.now(UTC).isoformat()
