"""A worker's day in the attendance ledger, computed from passages alone (R28): in/out paired in time order, what
cannot be paired flagged and never guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from realname_attendance.rules.ledger_day import (
    MISSING_IN,
    MISSING_IN_AND_OUT,
    MISSING_OUT,
    Passage,
    day_ends_at,
    day_figures,
    is_over,
)

DAY = date(2026, 12, 1)


def at(hh_mm: str) -> datetime:
    """A China-time moment (UTC+8) of DAY, as UTC."""
    hours, minutes = map(int, hh_mm.split(":"))
    return datetime(2026, 12, 1, hours, minutes, tzinfo=UTC) - timedelta(hours=8)


def p(hh_mm: str, direction: str | None) -> Passage:
    return Passage(at(hh_mm), direction)


def test_an_in_and_an_out_make_the_minutes_between_them() -> None:
    figures = day_figures([p("17:30", "out"), p("07:30", "in")])
    assert (figures.first_in, figures.last_out, figures.minutes, figures.anomaly) == \
        (at("07:30"), at("17:30"), 600, None)


def test_a_lunch_break_is_not_counted_as_on_site() -> None:
    figures = day_figures([p("07:00", "in"), p("11:30", "out"), p("12:30", "in"), p("17:00", "out")])
    assert (figures.minutes, figures.first_in, figures.last_out, figures.anomaly) == \
        (270 + 270, at("07:00"), at("17:00"), None)


def test_an_in_without_an_out_is_flagged_missing_out_and_counts_no_minute() -> None:
    figures = day_figures([p("07:00", "in")])
    assert (figures.minutes, figures.anomaly, figures.first_in, figures.last_out) == (0, MISSING_OUT, at("07:00"), None)


def test_an_out_without_an_in_is_flagged_missing_in_and_counts_no_minute() -> None:
    figures = day_figures([p("17:00", "out")])
    assert (figures.minutes, figures.anomaly, figures.last_out) == (0, MISSING_IN, at("17:00"))


def test_both_kinds_on_one_day_are_both_said() -> None:
    figures = day_figures([p("06:00", "out"), p("07:00", "in"), p("12:00", "out"), p("13:00", "in")])
    assert (figures.minutes, figures.anomaly) == (300, MISSING_IN_AND_OUT)


def test_the_same_passage_seen_twice_within_five_minutes_is_one_passage() -> None:
    figures = day_figures([p("07:00", "in"), p("07:03", "in"), p("17:00", "out"), p("17:04", "out")])
    assert (figures.minutes, figures.anomaly, figures.first_in, figures.last_out) == \
        (600, None, at("07:00"), at("17:04"))


def test_a_second_in_hours_later_flags_the_first_stay_and_opens_a_new_one_without_guessing_its_end() -> None:
    figures = day_figures([p("07:00", "in"), p("13:00", "in"), p("17:00", "out")])
    assert (figures.minutes, figures.anomaly, figures.first_in) == (240, MISSING_OUT, at("07:00"))


def test_punches_of_a_gate_without_direction_alternate_in_then_out() -> None:
    figures = day_figures([p("07:00", None), p("11:00", None), p("12:00", None), p("16:00", None)])
    assert (figures.minutes, figures.anomaly, figures.first_in, figures.last_out) == \
        (480, None, at("07:00"), at("16:00"))


def test_a_correction_is_a_passage_like_the_gates_own_and_closes_the_missing_out() -> None:
    gates = [p("07:00", "in")]
    corrected = day_figures([*gates, p("17:00", "out")])
    assert (corrected.minutes, corrected.anomaly) == (600, None)


def test_a_day_without_passages_has_nothing() -> None:
    figures = day_figures([])
    assert (figures.first_in, figures.last_out, figures.minutes, figures.anomaly) == (None, None, 0, None)


def test_a_day_ends_at_its_local_midnight_and_is_over_once_the_grace_has_passed() -> None:
    ends = day_ends_at(DAY, 480)
    assert ends == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    grace = timedelta(minutes=60)
    assert not is_over(ends, grace, ends + timedelta(minutes=59))
    assert is_over(ends, grace, ends + timedelta(minutes=60))
