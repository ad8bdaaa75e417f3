"""The counts of failed password logins, per (login, address) and per login from unknown addresses.

The rows are locked (``FOR UPDATE``) for the length of the attempt's transaction: every gateway process shares
the database, so concurrent guesses are counted one after the other, never lost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from realname_gateway.auth import lockout
from realname_gateway.auth.models import LoginFailures

ACCOUNT_WIDE = "*"  # the source of the row that counts failures from every address not known for the login


@dataclass(frozen=True)
class Lock:
    """A lock a failure imposed: on one address (``scope`` "address") or on unknown addresses ("account")."""

    scope: str
    failures: int
    until: datetime


@dataclass
class Attempt:
    pair: LoginFailures
    unknown_sources: LoginFailures | None  # None when the address is known for this login: no slow-down applies


def login_key(account_id: str | None, name: str) -> str:
    """What failures are counted under: the account, or, for a name no account has, the name (hashed), so that
    an unknown name is locked and slowed exactly as an account is and the answers tell nothing of who exists."""
    if account_id is not None:
        return account_id
    return "name:" + hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:40]


def begin(session: Session, login: str, source: str, now: datetime) -> Attempt:
    """Lock this attempt's rows: the pair's first, then (for an unknown address) the login's, always in this
    order so that concurrent attempts never deadlock."""
    pair = _row(session, login, source[:64])
    if lockout.is_known(pair.last_success_at, now):
        return Attempt(pair, None)
    return Attempt(pair, _row(session, login, ACCOUNT_WIDE))


def refused_until(attempt: Attempt, now: datetime) -> datetime | None:
    """When the attempt's address is locked out, or unknown addresses are slowed down: until when."""
    rows = [attempt.pair, *([attempt.unknown_sources] if attempt.unknown_sources else [])]
    locks = [row.locked_until for row in rows if row.locked_until is not None and row.locked_until > now]
    return max(locks) if locks else None


def failed(attempt: Attempt, now: datetime) -> list[Lock]:
    """Count a wrong password; the locks it imposes."""
    locks = []
    for row, scope, rule in ((attempt.pair, "address", lockout.lock_until),
                             (attempt.unknown_sources, "account", lockout.slow_until)):
        if row is None:
            continue
        row.failures = lockout.remembered(row.failures, row.last_failure_at, now) + 1
        row.last_failure_at, row.locked_until = now, rule(row.failures, now)
        if row.locked_until is not None:
            locks.append(Lock(scope, row.failures, row.locked_until))
    return locks


def succeeded(attempt: Attempt, now: datetime) -> None:
    """The right password from this address: it is known from now on and its count starts again. The count of
    unknown addresses is kept: the owner's login says nothing about who else is guessing."""
    attempt.pair.failures, attempt.pair.locked_until, attempt.pair.last_success_at = 0, None, now


def _row(session: Session, login: str, source: str) -> LoginFailures:
    build = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(build(LoginFailures).values(login=login, source=source, failures=0)
                    .on_conflict_do_nothing(index_elements=[LoginFailures.login, LoginFailures.source]))
    return session.scalars(select(LoginFailures).where(LoginFailures.login == login, LoginFailures.source == source)
                           .with_for_update().execution_options(populate_existing=True)).one()
