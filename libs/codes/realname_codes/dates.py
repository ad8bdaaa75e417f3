"""Birthdays and anniversaries, where a Feb-29 date falls on Mar 1 in years without one."""

from __future__ import annotations

from datetime import date


def anniversary(start: date, years: int) -> date:
    """The date ``years`` after ``start``; a Feb-29 start falls on Mar 1 in a non-leap year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def age_on(born: date, day: date) -> int:
    """Full years of age on ``day``: the birthday itself counts."""
    years = day.year - born.year
    return years - 1 if anniversary(born, years) > day else years
