"""Wrong passwords: which address is locked out of a login, and how an account slows down guessing from elsewhere.

A lock on the account alone lets anyone keep its owner out (five wrong passwords, then one per lock period).
So failures lock the pair (login, client address) only, with a back-off; the account as a whole only slows down
logins from addresses it has not logged in from, one try per growing interval, and an address it logged in from
lately (its owner's office, its owner's home) is never slowed by what other addresses did.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FREE_FAILURES = 5            # wrong passwords from one address before that address is locked out of the login
FIRST_LOCK_SECONDS = 30      # doubled with every further failure from that address
MAX_LOCK_SECONDS = 3600
ACCOUNT_FREE_FAILURES = 10   # wrong passwords from unknown addresses before the account slows such logins down
FIRST_SLOW_SECONDS = 2       # then one try from an unknown address per this interval, doubled with each failure
MAX_SLOW_SECONDS = 60
FORGET_AFTER = timedelta(days=1)   # failures with none after them for this long are forgotten
KNOWN_FOR = timedelta(days=90)     # an address the login succeeded from within this time is a known one


def lock_until(failures: int, now: datetime) -> datetime | None:
    """After ``failures`` wrong passwords from one address, that address is locked out until this moment."""
    if failures < FREE_FAILURES:
        return None
    return now + timedelta(seconds=min(FIRST_LOCK_SECONDS * 2 ** min(failures - FREE_FAILURES, 20),
                                       MAX_LOCK_SECONDS))


def slow_until(failures: int, now: datetime) -> datetime | None:
    """After ``failures`` wrong passwords from unknown addresses, none of them may try again before this."""
    if failures < ACCOUNT_FREE_FAILURES:
        return None
    return now + timedelta(seconds=min(FIRST_SLOW_SECONDS * 2 ** min(failures - ACCOUNT_FREE_FAILURES, 20),
                                       MAX_SLOW_SECONDS))


def is_known(last_success_at: datetime | None, now: datetime) -> bool:
    """Whether the login succeeded from this address lately: then it is the owner's, and never slowed down."""
    return last_success_at is not None and now - last_success_at <= KNOWN_FOR


def remembered(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """The failures still counted: a quiet day forgets them."""
    if last_failure_at is None or now - last_failure_at > FORGET_AFTER:
        return 0
    return failures
