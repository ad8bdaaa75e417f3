"""Punches are the attendance ledger's basis, kept three years (art. 28 of the wage regulation): a shorter
retention is refused before the attendance service starts."""

from __future__ import annotations

import pytest

from realname_attendance.punch_upkeep import RetentionTooShort, punch_retention_months
from realname_attendance.service import SPEC
from realname_kit.settings import Settings


def settings(months: str | None) -> Settings:
    env = {"REALNAME_ATTENDANCE_PUNCH_RETENTION_MONTHS": months} if months is not None else {}
    return Settings.from_env(env)


def test_the_retention_is_three_years_unless_set_longer() -> None:
    assert punch_retention_months(settings(None)) == 36
    assert punch_retention_months(settings("120")) == 120


@pytest.mark.parametrize("months", ["35", "0", "-40", "three years", ""])
def test_a_shorter_or_unreadable_retention_is_refused_at_start(months: str) -> None:
    assert SPEC.check_settings is not None
    with pytest.raises(RetentionTooShort, match="36"):
        SPEC.check_settings(settings(months))


def test_the_attendance_application_does_not_start_with_it() -> None:
    from realname_attendance.app import create_app

    with pytest.raises(RetentionTooShort):
        create_app(settings("12"))
