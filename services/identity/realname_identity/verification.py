"""Asking the identity authority about pending reads, and what each answer does (R1-R3).

A verdict settles the read: ``match`` verifies it, any other rejects it with its reason. No answer (the
authority closed, or failing) keeps it ``pending`` and schedules the next attempt through the bus: an
``identity.verification_due`` event delivered later by a wait queue, recorded in the same transaction as
the attempt, so a read is never forgotten and never asked for twice at once. Closed: the next attempt is at
the announced reopening. Failing: exponential back-off, 2 s doubling up to 30 minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from realname_identity import events
from realname_identity.authority import (
    AuthorityClosed,
    AuthorityError,
    AuthorityUnavailable,
    IdentityAuthority,
    Verdict,
    VerificationRequest,
    explain,
)
from realname_identity.checks import Rejection
from realname_identity.models import ID_NUMBER, OUTBOX, CardRead
from realname_identity.reads import reject
from realname_kit.privacy import Keyring

DUE_EVENT = "identity.verification_due"
FIRST_BACKOFF, LONGEST_WAIT = 2.0, 1800.0
_EARLY = timedelta(seconds=1)  # a wait queue's tier may deliver a little early: that still counts as due

Answer = Verdict | AuthorityError


class Verifier:
    """Puts the questions of one batch to the authority at once (``concurrency`` in flight), then records."""

    def __init__(self, authority: IdentityAuthority, keyring: Keyring, concurrency: int = 16,
                 jitter: Callable[[float], float] | None = None) -> None:
        self.authority, self.keyring = authority, keyring
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="authority")
        self._jitter = jitter or (lambda seconds: seconds * random.uniform(0.0, 0.2))

    def verify(self, session: Session, reads: Sequence[CardRead], now: datetime) -> None:
        """Settle or postpone every pending read that is due; re-schedule those not due yet."""
        due = []
        for read in reads:
            if read.status != "pending":
                continue
            if read.next_attempt_at is not None and read.next_attempt_at > now + _EARLY:
                schedule(session, read, (read.next_attempt_at - now).total_seconds())
            else:
                due.append(read)
        answers = list(self._pool.map(self._ask, [self._request(r) for r in due]))
        for read, answer in zip(due, answers, strict=True):
            read.attempts += 1
            if isinstance(answer, Verdict):
                self._settle(session, read, answer, now)
            else:
                self._postpone(session, read, answer, now)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _request(self, read: CardRead) -> VerificationRequest:
        number = ID_NUMBER.open(self.keyring, read.id_number_enc)
        assert number is not None and read.valid_from is not None
        return VerificationRequest(id_number=number, name=read.name, valid_from=read.valid_from,
                                   valid_to=read.valid_to, request_id=read.id)

    def _ask(self, request: VerificationRequest) -> Answer:
        try:
            return self.authority.verify(request)
        except AuthorityError as exc:
            return exc

    def _settle(self, session: Session, read: CardRead, verdict: Verdict, now: datetime) -> None:
        if verdict is Verdict.MATCH:
            read.status, read.reason, read.decided_at = "verified", None, now
            read.next_attempt_at, read.last_error = None, None
            OUTBOX.record(session, "identity.verified", events.verified(read, self.keyring))
            return
        why = explain(verdict)
        reject(session, self.keyring, read, Rejection(why.code, why.message, why.message_zh), now)

    def _postpone(self, session: Session, read: CardRead, error: AuthorityError, now: datetime) -> None:
        if isinstance(error, AuthorityClosed) and error.reopens_at is not None and error.reopens_at > now:
            wait = (error.reopens_at - now).total_seconds()
            read.last_error = "authority_closed"
        else:
            wait = min(FIRST_BACKOFF * 2 ** (read.attempts - 1), LONGEST_WAIT)
            read.last_error = ("authority_closed" if isinstance(error, AuthorityClosed)
                               else error.reason if isinstance(error, AuthorityUnavailable) else "authority_error")
        wait += self._jitter(min(wait, LONGEST_WAIT))  # many reads waiting on one reopening do not all ask at once
        read.next_attempt_at = now + timedelta(seconds=wait)
        schedule(session, read, wait)


def schedule(session: Session, read: CardRead, wait_seconds: float) -> None:
    """The next attempt on ``read``: a due event after ``wait_seconds`` (several hops when beyond the longest)."""
    OUTBOX.record(session, DUE_EVENT, {"read_id": read.id, "attempts": read.attempts},
                  wait_seconds=max(0.0, wait_seconds))
