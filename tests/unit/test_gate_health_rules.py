"""A gate's health at a moment of the test's choosing (rules.health): online, offline after 120 s, clock off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from realname_attendance.rules.health import Heard, came_online, contact_moment, is_clock_off, is_online

NOW = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)


def heard(seconds_ago: float | None, reported_online: bool | None = True) -> Heard:
    return Heard(None if seconds_ago is None else NOW - timedelta(seconds=seconds_ago), reported_online)


def test_a_gate_heard_from_within_two_minutes_is_online_and_offline_after() -> None:
    assert is_online(heard(0), NOW)
    assert is_online(heard(120), NOW)
    assert not is_online(heard(120.001), NOW)
    assert not is_online(heard(None), NOW)


def test_a_gate_its_bridge_reports_lost_is_offline_however_recent_the_report() -> None:
    assert not is_online(heard(1, reported_online=False), NOW)
    assert is_online(heard(1, reported_online=None), NOW)


def test_coming_back_is_a_change_from_offline_or_never_seen_to_online() -> None:
    assert came_online(heard(None), heard(0), NOW)
    assert came_online(heard(300), heard(0), NOW)
    assert came_online(heard(5, reported_online=False), heard(0), NOW)
    assert not came_online(heard(30), heard(0), NOW)
    assert not came_online(heard(None), heard(0, reported_online=False), NOW)


def test_a_clock_more_than_a_minute_off_either_way_is_off() -> None:
    assert not is_clock_off(None) and not is_clock_off(60) and not is_clock_off(-60)
    assert is_clock_off(60.5) and is_clock_off(-61)


def test_a_contact_is_never_later_than_now() -> None:
    assert contact_moment(NOW + timedelta(hours=1), NOW) == NOW
    assert contact_moment(None, NOW) == NOW
    assert contact_moment(NOW - timedelta(seconds=9), NOW) == NOW - timedelta(seconds=9)
