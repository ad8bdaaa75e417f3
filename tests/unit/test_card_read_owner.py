"""R1, R12: only a read by the employer holding a worker's registration decides their identity."""

from __future__ import annotations

from realname_registry.rules.card_read_owner import employer_told, read_decides


def test_the_employers_own_read_decides() -> None:
    assert read_decides("employer-a", "employer-a")


def test_another_enterprises_read_does_not_decide() -> None:
    assert not read_decides("employer-b", "employer-a")


def test_a_read_of_a_person_nobody_registered_decides_nothing() -> None:
    assert not read_decides("employer-b", None)


def test_only_the_employer_employing_the_worker_now_is_told_of_another_enterprises_read() -> None:
    assert employer_told("active")
    assert not employer_told("ended") and not employer_told(None)
