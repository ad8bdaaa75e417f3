"""Judging a punch (R27): valid only while the worker is admitted to the gate's project; otherwise exactly one
reason, the first in the documented order; the direction and the late flag as documented."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from realname_attendance.rules.punch_judgement import (
    CLOCK_SKEW,
    DEVICE_DISABLED,
    EXITED,
    NOT_ADMITTED,
    UNKNOWN_DEVICE,
    UNKNOWN_WORKER,
    GateKnown,
    Judgement,
    Stay,
    is_late,
    judge,
    local_day,
    punch_direction,
)

CHINA = timezone(timedelta(hours=8))
AT = datetime(2026, 12, 5, 7, 30, tzinfo=CHINA)
GATE = GateKnown("gate-1", "project-1", enabled=True, direction="both")
ADMITTED = Stay(entry_at=AT - timedelta(days=3), exited_at=None, exited=False)


def judged(gate: GateKnown | None = GATE, worker_known: bool = True, stays: tuple[Stay, ...] = (ADMITTED,),
           at: datetime = AT, received_at: datetime | None = None, direction: str | None = "in") -> Judgement:
    return judge(gate, worker_known, stays, at=at, received_at=received_at or AT + timedelta(seconds=2),
                 direction=direction)


def test_a_worker_admitted_at_that_moment_punches_validly() -> None:
    assert judged() == Judgement(True, None, "in")


def test_an_unknown_device_comes_first_of_all_reasons() -> None:
    assert judged(gate=None, worker_known=False, stays=()).reason == UNKNOWN_DEVICE


def test_a_disabled_gate_comes_before_the_clock_and_the_worker() -> None:
    disabled = GateKnown("gate-1", "project-1", enabled=False, direction="in")
    assert judged(gate=disabled, worker_known=False, at=AT + timedelta(hours=1)).reason == DEVICE_DISABLED


def test_a_punch_more_than_five_minutes_ahead_of_its_arrival_is_clock_skew() -> None:
    arrived = AT - timedelta(minutes=5, seconds=1)
    assert judged(received_at=arrived, worker_known=False).reason == CLOCK_SKEW
    assert judged(received_at=AT - timedelta(minutes=5)).valid


def test_a_key_naming_no_worker_is_an_unknown_worker() -> None:
    assert judged(worker_known=False, stays=()).reason == UNKNOWN_WORKER


def test_a_worker_never_admitted_or_admitted_only_later_is_not_admitted() -> None:
    assert judged(stays=()).reason == NOT_ADMITTED
    later = Stay(entry_at=AT + timedelta(minutes=1), exited_at=None, exited=False)
    assert judged(stays=(later,)).reason == NOT_ADMITTED
    never_entered = Stay(entry_at=None, exited_at=None, exited=False)
    assert judged(stays=(never_entered,)).reason == NOT_ADMITTED


def test_a_worker_whose_admission_ended_before_the_punch_has_exited() -> None:
    left = Stay(entry_at=AT - timedelta(days=3), exited_at=AT - timedelta(seconds=1), exited=True)
    assert judged(stays=(left,)).reason == EXITED
    left_untold_when = Stay(entry_at=AT - timedelta(days=3), exited_at=None, exited=True)
    assert judged(stays=(left_untold_when,)).reason == EXITED


def test_a_punch_before_or_at_the_exit_still_counts_even_when_it_arrives_after() -> None:
    leaves = Stay(entry_at=AT - timedelta(days=3), exited_at=AT, exited=True)
    assert judged(stays=(leaves,), received_at=AT + timedelta(days=2)).valid


def test_one_current_admission_is_enough_beside_an_ended_one() -> None:
    left = Stay(entry_at=AT - timedelta(days=30), exited_at=AT - timedelta(days=20), exited=True)
    assert judged(stays=(left, ADMITTED)).valid


@pytest.mark.parametrize(("own", "gates", "expected"), [
    ("in", "out", "in"), ("out", "both", "out"), (None, "out", "out"), ("both", "in", "in"),
    (None, "both", None), ("sideways", None, None)])
def test_the_direction_is_the_punchs_own_else_a_one_way_gates(own: str | None, gates: str | None,
                                                               expected: str | None) -> None:
    assert punch_direction(own, gates) == expected


def test_the_day_is_the_local_day_at_the_gates_offset() -> None:
    late_evening = datetime(2026, 12, 5, 23, 50, tzinfo=CHINA)  # 15:50 UTC
    assert local_day(late_evening) == date(2026, 12, 5)
    assert local_day(late_evening.astimezone(UTC)) == date(2026, 12, 5)
    just_after_midnight = datetime(2026, 12, 6, 0, 10, tzinfo=CHINA)  # still the 5th in UTC
    assert local_day(just_after_midnight) == date(2026, 12, 6)


def test_a_punch_received_on_a_later_local_day_is_late() -> None:
    friday = datetime(2026, 12, 4, 18, 0, tzinfo=CHINA)
    assert is_late(friday, datetime(2026, 12, 7, 1, 0, tzinfo=UTC))  # Monday 09:00 in China
    assert not is_late(friday, datetime(2026, 12, 4, 15, 59, tzinfo=UTC))  # 23:59 the same day in China
    assert is_late(friday, datetime(2026, 12, 4, 16, 0, 1, tzinfo=UTC))  # just after midnight in China
