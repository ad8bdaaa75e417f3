"""The lockout rules: an address is locked out with a back-off, unknown addresses are slowed, failures fade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from realname_gateway.auth.lockout import (
    ACCOUNT_FREE_FAILURES,
    FREE_FAILURES,
    MAX_LOCK_SECONDS,
    MAX_SLOW_SECONDS,
    is_known,
    lock_until,
    remembered,
    slow_until,
)

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def seconds(until: datetime | None) -> float | None:
    return None if until is None else (until - NOW).total_seconds()


def test_an_address_is_locked_out_after_five_failures_for_thirty_seconds_doubling_up_to_an_hour() -> None:
    assert [seconds(lock_until(n, NOW)) for n in range(FREE_FAILURES - 1, FREE_FAILURES + 3)] == \
        [None, 30, 60, 120]
    assert seconds(lock_until(10_000, NOW)) == MAX_LOCK_SECONDS


def test_unknown_addresses_are_slowed_after_ten_failures_two_seconds_doubling_up_to_a_minute() -> None:
    assert [seconds(slow_until(n, NOW)) for n in range(ACCOUNT_FREE_FAILURES - 1, ACCOUNT_FREE_FAILURES + 3)] == \
        [None, 2, 4, 8]
    assert seconds(slow_until(10_000, NOW)) == MAX_SLOW_SECONDS


def test_an_address_the_login_succeeded_from_in_ninety_days_is_known() -> None:
    assert is_known(NOW - timedelta(days=90), NOW) and not is_known(NOW - timedelta(days=91), NOW)
    assert not is_known(None, NOW)


def test_failures_are_forgotten_after_a_quiet_day() -> None:
    assert remembered(7, NOW - timedelta(hours=23), NOW) == 7
    assert remembered(7, NOW - timedelta(hours=25), NOW) == 0
