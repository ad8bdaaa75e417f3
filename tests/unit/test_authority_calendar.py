"""When the simulated identity authority answers: weekdays 08:00–20:00 China time, never on closure days (R3)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from realname_identity.authority_sim.calendar import AuthorityCalendar, load_calendar, parse_dates
from realname_kit.timeutil import CHINA

WEEKDAYS = AuthorityCalendar()


def china(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), CHINA).replace(hour=hour, minute=minute)


@pytest.mark.parametrize(("hour", "minute", "open_"), [(7, 59, False), (8, 0, True), (19, 59, True), (20, 0, False)])
def test_a_working_day_is_open_from_eight_in_the_morning_until_eight_in_the_evening(hour, minute, open_):
    assert WEEKDAYS.is_open(china("2025-06-12", hour, minute)) is open_


def test_saturday_and_sunday_are_closed_all_day():
    assert not WEEKDAYS.is_open(china("2025-06-14", 10))
    assert not WEEKDAYS.is_open(china("2025-06-15", 10))


def test_friday_at_eight_in_the_evening_reopens_on_monday_at_eight():
    assert WEEKDAYS.reopens_at(china("2025-06-13", 20)) == china("2025-06-16", 8)


def test_early_on_a_working_day_it_reopens_the_same_morning():
    assert WEEKDAYS.reopens_at(china("2025-06-12", 6, 30)) == china("2025-06-12", 8)


def test_the_reopening_time_is_given_in_china_time():
    reopening = WEEKDAYS.reopens_at(datetime(2025, 6, 13, 13, tzinfo=UTC))  # Friday 21:00 in Shanghai
    assert reopening is not None
    assert reopening.isoformat() == "2025-06-16T08:00:00+08:00"


def test_the_china_date_and_hour_count_not_the_utc_ones():
    sunday_utc_is_monday_in_china = datetime(2025, 6, 15, 23, 30, tzinfo=UTC)  # Monday 07:30 in Shanghai
    assert not WEEKDAYS.is_open(sunday_utc_is_monday_in_china)
    assert WEEKDAYS.reopens_at(sunday_utc_is_monday_in_china) == china("2025-06-16", 8)
    assert WEEKDAYS.is_open(sunday_utc_is_monday_in_china + timedelta(hours=1))


def test_a_closure_range_across_a_weekend_reopens_on_the_first_working_day_after_it():
    calendar = AuthorityCalendar(closures=parse_dates("2025-06-12..2025-06-17"))
    assert not calendar.is_open(china("2025-06-16", 10))
    assert calendar.reopens_at(china("2025-06-12", 9)) == china("2025-06-18", 8)


def test_a_weekend_day_declared_a_working_day_is_open():
    national_day = AuthorityCalendar(closures=parse_dates("2025-10-01..2025-10-08"),
                                     workdays=parse_dates("2025-09-28,2025-10-11"))
    assert national_day.is_open(china("2025-09-28", 9))
    assert national_day.reopens_at(china("2025-09-30", 20)) == china("2025-10-09", 8)
    assert national_day.reopens_at(china("2025-10-10", 20)) == china("2025-10-11", 8)


def test_a_closure_with_no_end_in_sight_has_no_reopening_time():
    calendar = AuthorityCalendar(closures=parse_dates("2025-06-12..2027-06-12"))
    assert calendar.reopens_at(china("2025-06-12", 9)) is None


def test_always_open_and_closed_now_override_the_calendar():
    saturday_night = china("2025-06-14", 23)
    assert AuthorityCalendar(mode="always_open").is_open(saturday_night)
    closed = AuthorityCalendar(mode="closed_now")
    assert not closed.is_open(china("2025-06-12", 10))
    assert closed.reopens_at(china("2025-06-12", 10)) is None


def test_a_toml_file_a_json_file_and_a_comma_list_describe_the_same_calendar(tmp_path: Path):
    toml = tmp_path / "calendar.toml"
    toml.write_text('opens = "09:00"\nclosures = [2025-10-01, "2025-10-02..2025-10-03"]\nworkdays = ["2025-09-28"]\n')
    as_json = tmp_path / "calendar.json"
    as_json.write_text(json.dumps({"opens": "09:00", "closures": ["2025-10-01..2025-10-02"],
                                   "workdays": ["2025-09-28"]}))
    from_toml, from_json = load_calendar(toml), load_calendar(as_json, extra_closures="2025-10-03")
    assert from_toml == from_json
    assert from_toml.closures == {date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)}
    assert from_toml.reopens_at(china("2025-10-01", 10)) == china("2025-10-06", 9)


def test_a_calendar_file_can_force_the_authority_closed(tmp_path: Path):
    forced = tmp_path / "calendar.toml"
    forced.write_text('mode = "closed_now"\n')
    assert load_calendar(forced).mode == "closed_now"


@pytest.mark.parametrize("content", ['mode = "sometimes"\n', 'closures = ["2025-10-08..2025-10-01"]\n',
                                     'holidays = ["2025-10-01"]\n', 'closures = ["1 October"]\n'])
def test_a_calendar_file_that_says_something_else_is_refused(tmp_path: Path, content: str):
    wrong = tmp_path / "calendar.toml"
    wrong.write_text(content)
    with pytest.raises(ValueError):
        load_calendar(wrong)


def test_an_empty_comma_list_closes_nothing():
    assert parse_dates(" ") == frozenset()
