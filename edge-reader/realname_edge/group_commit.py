"""Writes to the spool from several threads made durable together: one commit, and so one wait for the disk, for
every write that queued while the previous commit was under way.

A site bridge's drivers each wait for their answer to be on disk before going on (``gates/driver.py``); with
``synchronous=FULL`` a commit costs milliseconds, and six gates' threads committing one by one queue behind each
other's. Here the first writer to find no commit under way takes everything queued so far and commits it; the
others wait for that commit (or lead the next). Each ``write`` still returns only once its own changes are
committed, and raises what its own step raised: a failing step is retried alone so it cannot lose the others.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

from realname_edge.spooling import Spool

Step = Callable[[sqlite3.Connection], None]  # changes made inside the spool's transaction


@dataclass(slots=True)
class _Ticket:
    step: Step
    done: bool = False
    error: Exception | None = None


class GroupCommit:
    def __init__(self, spool: Spool) -> None:
        self._spool = spool
        self._ready = threading.Condition()
        self._queued: list[_Ticket] = []
        self._committing = False

    def write(self, step: Step) -> None:
        """Run ``step`` in a spool transaction shared with whoever writes at the same time; returns once committed."""
        ticket = _Ticket(step)
        with self._ready:
            self._queued.append(ticket)
            while self._committing and not ticket.done:
                self._ready.wait()
            if not ticket.done:  # no commit under way: lead one, for everything queued so far
                self._committing = True
                batch, self._queued = self._queued, []
            else:
                batch = []
        if batch:
            try:
                self._commit(batch)
            finally:
                with self._ready:
                    self._committing = False
                    self._ready.notify_all()
        if ticket.error is not None:
            raise ticket.error

    def _commit(self, batch: list[_Ticket]) -> None:
        try:
            with self._spool.transaction() as db:
                for ticket in batch:
                    ticket.step(db)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:  # one step failed: each alone, so that only its own writer hears of it
                for ticket in batch:
                    try:
                        with self._spool.transaction() as db:
                            ticket.step(db)
                    except Exception as alone:
                        ticket.error = alone
        finally:
            for ticket in batch:
                ticket.done = True
