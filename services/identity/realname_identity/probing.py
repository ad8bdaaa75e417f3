"""Watching a closed authority for an early return, and releasing the reads that wait for it (R3).

A read the authority turned away as closed waits for the announced reopening (Monday 08:00), or backs off up
to 30 minutes when none was announced. Meanwhile one probe chain for the whole fleet of consumers (numbered in
the ``AuthorityWatch`` row: a probe event of another number is stale) asks the authority about one waiting read
every ``interval`` seconds: ``identity.authority_probe_due`` through the wait queues, asked outside the inbox
transaction like any question. When the authority answers (a verdict or a refusal) the waiting reads are
released: due now, each through its own due event, so each is asked and recorded once, by ``verification``
(the probe's own answer is not recorded: the read is asked again under the same idempotency key). A read's own
attempt that gets an answer releases them as well. Either ends the chain.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from realname_identity.models import OUTBOX, AuthorityWatch, CardRead
from realname_identity.verification import Answer, Verifier, answered, schedule
from realname_kit.bus.envelope import Envelope
from realname_kit.db import Database

PROBE_EVENT = "identity.authority_probe_due"
_EARLY = timedelta(seconds=1)  # a wait queue's tier may deliver a little early: that still counts as due
_WATCH = 1  # the one row


class AuthorityProbe:
    def __init__(self, verifier: Verifier, interval_seconds: float) -> None:
        self.verifier, self.interval = verifier, max(1.0, interval_seconds)
        self._answers: dict[int, Answer] = {}  # by probe number, until recorded
        self._lock = threading.Lock()

    def seen_closed(self, session: Session, now: datetime) -> None:
        """A read found the authority closed: start the probe chain unless one runs."""
        watch = _watch(session)
        if watch.probe_at is None:
            watch.closed_since = now
            self._next(session, watch, now)

    def seen_answering(self, session: Session, now: datetime) -> None:
        """The authority answered a read: release the waiting reads and end the chain, if one runs."""
        if session.scalars(select(AuthorityWatch.probe_at).where(AuthorityWatch.id == _WATCH)).first() is None:
            return  # no chain (the common case): no lock taken
        _reopened(session, _watch(session), now)

    def ask(self, db: Database, batch: Sequence[Envelope], now: datetime) -> None:
        """Outside the inbox transaction: ask the authority about the oldest waiting read, if a probe is due."""
        with db.transaction() as session:
            watch = session.get(AuthorityWatch, _WATCH)
            if watch is None or not _due(watch, batch, now):
                return
            read = session.scalars(_waiting(now).limit(1)).first()
            question = self.verifier.question(read) if read is not None else None
            probe = watch.probe
        if question is not None:
            answer = self.verifier.answer(question.request)
            with self._lock:
                self._answers[probe] = answer

    def record(self, session: Session, batch: Sequence[Envelope], now: datetime) -> None:
        """In the inbox transaction: release the waiting reads if the authority answered, else probe again later."""
        watch = _watch(session)
        if watch.probe_at is None or watch.probe not in _numbers(batch):
            return  # the chain has ended, or a stale probe of an earlier one
        if not _due(watch, batch, now):
            OUTBOX.record(session, PROBE_EVENT, {"probe": watch.probe},
                          wait_seconds=(watch.probe_at - now).total_seconds())
            return
        with self._lock:
            answer = self._answers.pop(watch.probe, None)
        if answered(answer) or session.scalars(_waiting(now).limit(1)).first() is None:
            _reopened(session, watch, now)
        else:  # still closed, failing, or not asked (the first step failed): look again later
            self._next(session, watch, now)

    def _next(self, session: Session, watch: AuthorityWatch, now: datetime) -> None:
        watch.probe += 1
        watch.probe_at = now + timedelta(seconds=self.interval)
        OUTBOX.record(session, PROBE_EVENT, {"probe": watch.probe}, wait_seconds=self.interval)


def release(session: Session, now: datetime) -> int:
    """Make every read waiting on a closure due now; the number released."""
    reads = session.scalars(_waiting(now).with_for_update()).all()
    for read in reads:
        read.next_attempt_at = now
        schedule(session, read, None)
    return len(reads)


def _reopened(session: Session, watch: AuthorityWatch, now: datetime) -> None:
    if watch.probe_at is not None:
        release(session, now)
        watch.probe_at, watch.closed_since = None, None


def _waiting(now: datetime) -> Select[CardRead]:
    return select(CardRead).where(CardRead.status == "pending", CardRead.last_error == "authority_closed",
                                  CardRead.next_attempt_at > now).order_by(CardRead.seq)


def _watch(session: Session) -> AuthorityWatch:
    watch = session.get(AuthorityWatch, _WATCH, with_for_update=True)
    if watch is None:  # the first closure ever seen (a concurrent first one: the inbox retry meets this row)
        watch = AuthorityWatch(id=_WATCH, probe=0)
        session.add(watch)
        session.flush()
    return watch


def _due(watch: AuthorityWatch, batch: Sequence[Envelope], now: datetime) -> bool:
    return watch.probe_at is not None and watch.probe in _numbers(batch) and watch.probe_at <= now + _EARLY


def _numbers(batch: Sequence[Envelope]) -> set[object]:
    return {e.data.get("probe") for e in batch}
