"""The bridge's ``GateSink``: what a driver learned goes into the spool (and returns once it is there); the
publisher thread, woken here, sends it to ``<prefix>gates.events`` with the message type as routing key.

An acknowledgement finishes its command's journal entry in the same transaction (``journal.finish``). Each message
is a fresh envelope: an acknowledgement repeated by a driver (a device answering twice, a command re-submitted
after a crash) is sent again, and the platform's handling of acks by ``command_id`` and ``sequence`` makes the
repeat harmless; punches are one by their ``event_key`` however often they come.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence

from realname_codes.gate_protocol import Ack, Punch, Report, encode, exchange_in
from realname_edge.gates.journal import finish
from realname_edge.group_commit import GroupCommit
from realname_edge.spooling import Spool, add_message


class SpoolSink:
    def __init__(self, spool: Spool, *, prefix: str, source: str, wake: threading.Event) -> None:
        self.spool = spool
        self.exchange = exchange_in(prefix)
        self.source = source
        self._wake = wake
        self._commits = GroupCommit(spool)  # the gates' threads write at once: their commits are shared

    def acknowledged(self, ack: Ack) -> None:
        self.acknowledged_all([ack])

    def acknowledged_all(self, acks: list[Ack]) -> None:
        if not acks:
            return

        def spool(db: sqlite3.Connection) -> None:
            for ack in acks:
                self._add(db, [ack], correlation_id=ack.command_id)
                finish(db, ack.command_id)
        self._commits.write(spool)
        self._wake.set()

    def punched(self, punches: list[Punch]) -> None:
        self._commits.write(lambda db: self._add(db, punches))
        self._wake.set()

    def reported(self, report: Report) -> None:
        self._commits.write(lambda db: self._add(db, [report]))
        self._wake.set()

    def _add(self, db: sqlite3.Connection, messages: Sequence[Ack | Punch | Report],
             correlation_id: str | None = None) -> None:
        for message in messages:
            body = encode(message, source=self.source, correlation_id=correlation_id)
            envelope = json.loads(body)
            add_message(db, envelope["id"], self.exchange, envelope["type"], body)
