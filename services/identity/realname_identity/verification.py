"""Asking the identity authority about pending reads, and what each answer does (R1-R3).

Two steps, so that no database transaction stays open while the authority takes its time (up to
``concurrency`` questions of 3 s each): ``ask_due`` reads the due reads in a short transaction and asks the
authority with none open; ``record`` then applies the answers in the consumer's inbox transaction. An answer
applies only to the read as it was asked (same ``attempts``, still ``pending``, the row locked), so a
redelivered or concurrent attempt cannot apply one twice; a read whose answer is missing (the first step
failed) is scheduled again rather than asked inside the transaction.

A verdict settles the read: ``match`` verifies it, any other rejects it with its reason, and so does a refusal
(a 4xx: ``authority_refused``). No answer (the authority closed, or failing) keeps it ``pending`` and schedules
the next attempt through the bus: an ``identity.verification_due`` event delivered later by a wait queue,
recorded in the same transaction as the attempt, so a read is never forgotten. Closed: the next attempt is at
the announced reopening. Failing: exponential back-off, 2 s doubling up to 30 minutes.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_identity import events
from realname_identity.authority import (
    AuthorityClosed,
    AuthorityError,
    AuthorityRefused,
    AuthorityUnavailable,
    IdentityAuthority,
    Verdict,
    VerificationRequest,
    explain,
)
from realname_identity.checks import Rejection
from realname_identity.models import ID_NUMBER, OUTBOX, CardRead
from realname_identity.reads import reject
from realname_kit.db import Database
from realname_kit.privacy import Keyring

DUE_EVENT = "identity.verification_due"
FIRST_BACKOFF, LONGEST_WAIT = 2.0, 1800.0
_DOUBLINGS = 10  # 2 s doubled 10 times is past 30 minutes: the exponent stops there (2.0 ** 1024 overflows)
_EARLY = timedelta(seconds=1)  # a wait queue's tier may deliver a little early: that still counts as due

Answer = Verdict | AuthorityError
Wanted = Mapping[str, int | None]  # read id -> the attempts its due event was sent for (None: any)


@dataclass(frozen=True, slots=True)
class Question:
    read_id: str
    attempts: int  # the read's attempts when asked: the answer applies to that state of the read only
    request: VerificationRequest


class ClosureWatch(Protocol):
    """Told what the authority's answers say of a closure (``probing.AuthorityProbe``)."""

    def seen_closed(self, session: Session, now: datetime) -> None: ...

    def seen_answering(self, session: Session, now: datetime) -> None: ...


class Answers:
    """What the authority said, by (read id, attempts), kept until the inbox transaction has recorded it."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[tuple[str, int], Answer] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, question: Question, answer: Answer) -> None:
        with self._lock:
            self._answers[(question.read_id, question.attempts)] = answer
            while len(self._answers) > self._capacity:
                self._answers.popitem(last=False)

    def get(self, read: CardRead) -> Answer | None:
        with self._lock:
            return self._answers.get((read.id, read.attempts))


class Verifier:
    """Puts the questions of one batch to the authority at once (``concurrency`` in flight), then records."""

    def __init__(self, authority: IdentityAuthority, keyring: Keyring, concurrency: int = 16,
                 jitter: Callable[[float], float] | None = None) -> None:
        self.authority, self.keyring = authority, keyring
        self.answers = Answers()
        self.watch: ClosureWatch | None = None
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="authority")
        self._jitter = jitter or (lambda seconds: seconds * random.uniform(0.0, 0.2))

    def ask_due(self, db: Database, wanted: Wanted, now: datetime) -> None:
        """Step one, outside the inbox transaction: ask the authority about the due reads of ``wanted``."""
        with db.transaction() as session:
            questions = [self.question(r) for r in _current(session, wanted) if _due(r, now)]
        self.ask(questions)

    def ask(self, questions: Sequence[Question]) -> None:
        for question, answer in zip(questions, self._pool.map(self.answer, [q.request for q in questions]),
                                    strict=True):
            self.answers.put(question, answer)

    def answer(self, request: VerificationRequest) -> Answer:
        """The authority's answer to one question, its failures included (no transaction may be open)."""
        try:
            return self.authority.verify(request)
        except AuthorityError as exc:
            return exc

    def record(self, session: Session, wanted: Wanted, now: datetime) -> None:
        """Step two, in the inbox transaction: apply the answers; re-schedule what is not due or was not asked."""
        closed = answering = False
        for read in _current(session, wanted, lock=True):
            if not _due(read, now):
                assert read.next_attempt_at is not None
                schedule(session, read, (read.next_attempt_at - now).total_seconds())
                continue
            answer = self.answers.get(read)
            if answer is None:  # the first step did not ask (it failed): ask in a moment, never in here
                schedule(session, read, FIRST_BACKOFF)
                continue
            read.attempts += 1
            closed, answering = closed or isinstance(answer, AuthorityClosed), answering or answered(answer)
            if isinstance(answer, Verdict):
                self._settle(session, read, answer, now)
            elif isinstance(answer, AuthorityRefused):
                reject(session, self.keyring, read, Rejection(answer.explanation.code, answer.explanation.message,
                                                              answer.explanation.message_zh, answer.detail), now)
            else:
                self._postpone(session, read, answer, now)
        if self.watch is not None and closed:
            self.watch.seen_closed(session, now)
        if self.watch is not None and answering:
            self.watch.seen_answering(session, now)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def question(self, read: CardRead) -> Question:
        number = ID_NUMBER.open(self.keyring, read.id_number_enc)
        assert number is not None and read.valid_from is not None
        return Question(read.id, read.attempts, VerificationRequest(
            id_number=number, name=read.name, valid_from=read.valid_from, valid_to=read.valid_to,
            request_id=read.id))

    def _settle(self, session: Session, read: CardRead, verdict: Verdict, now: datetime) -> None:
        if verdict is Verdict.MATCH:
            read.status, read.reason, read.decided_at = "verified", None, now
            read.next_attempt_at, read.last_error = None, None
            OUTBOX.record(session, "identity.verified", events.verified(read, self.keyring),
                          version=events.VERSION)
            return
        why = explain(verdict)
        reject(session, self.keyring, read, Rejection(why.code, why.message, why.message_zh), now)

    def _postpone(self, session: Session, read: CardRead, error: AuthorityError, now: datetime) -> None:
        if isinstance(error, AuthorityClosed) and error.reopens_at is not None and error.reopens_at > now:
            wait = (error.reopens_at - now).total_seconds()
            read.last_error = "authority_closed"
        else:
            wait = backoff(read.attempts)
            read.last_error = ("authority_closed" if isinstance(error, AuthorityClosed)
                               else error.reason if isinstance(error, AuthorityUnavailable) else "authority_error")
        wait += self._jitter(min(wait, LONGEST_WAIT))  # many reads waiting on one reopening do not all ask at once
        read.next_attempt_at = now + timedelta(seconds=wait)
        schedule(session, read, wait)


def backoff(attempts: int) -> float:
    """Seconds before the next question after ``attempts`` unanswered ones: 2, 4, 8 … at most 30 minutes."""
    return min(FIRST_BACKOFF * 2.0 ** min(max(attempts - 1, 0), _DOUBLINGS), LONGEST_WAIT)


def schedule(session: Session, read: CardRead, wait_seconds: float | None) -> None:
    """The next attempt on ``read``: a due event after ``wait_seconds`` (several hops when beyond the longest);
    None: due now, straight to the verifications queue."""
    OUTBOX.record(session, DUE_EVENT, {"read_id": read.id, "attempts": read.attempts},
                  wait_seconds=None if wait_seconds is None else max(0.0, wait_seconds))


def _current(session: Session, wanted: Wanted, lock: bool = False) -> list[CardRead]:
    """The pending reads of ``wanted`` whose event is not stale (a duplicate chain's: the read has moved on)."""
    query = select(CardRead).where(CardRead.id.in_(list(wanted)), CardRead.status == "pending").order_by(CardRead.seq)
    reads = session.scalars(query.with_for_update() if lock else query).all()
    return [r for r in reads if wanted[r.id] in (None, r.attempts)]


def _due(read: CardRead, now: datetime) -> bool:
    return read.next_attempt_at is None or read.next_attempt_at <= now + _EARLY


def answered(answer: Answer | None) -> bool:
    """A verdict or a refusal: the authority is open (a timeout or a 5xx says nothing of a closure)."""
    return answer is not None and not isinstance(answer, AuthorityClosed | AuthorityUnavailable)
