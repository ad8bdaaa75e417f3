"""A chore's rounds (realname_kit.rounds): the work at once and again after each wait; a failing round does not end
the chore; a stop ends it at the next wait."""

from __future__ import annotations

import threading

from realname_kit.rounds import in_rounds


def test_a_failing_round_is_followed_by_the_next_and_a_stop_ends_the_rounds() -> None:
    stop, done = threading.Event(), list[int]()

    def work() -> None:
        done.append(len(done))
        if len(done) == 1:
            raise ConnectionError("the database is away")
        if len(done) == 3:
            stop.set()

    in_rounds(stop, 0.001, work, failed="test_round_failed")
    assert done == [0, 1, 2]


def test_a_chore_stopped_before_it_starts_still_does_its_first_round() -> None:
    stop, done = threading.Event(), list[int]()
    stop.set()
    in_rounds(stop, 60, lambda: done.append(1), failed="test_round_failed")
    assert done == [1]
