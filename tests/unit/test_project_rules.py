"""The rules of project registration: registration numbers, planned dates, whose project it is, who reads it."""

from __future__ import annotations

from datetime import date

import pytest

from realname_assignment.project_rules import (
    general_contractor_for,
    may_read,
    normalise_registration_number,
    planned_dates_problem,
    registration_number_problem,
)
from realname_kit.auth import Caller
from realname_kit.problems import Problem

GC = Caller(subject="gc-login", enterprise_id="gc-1", roles=frozenset({"general_contractor"}), kind="enterprise")
GC_STAFF = Caller(subject="gc-clerk", enterprise_id="gc-1", roles=frozenset({"staff"}), kind="staff")
LABOUR = Caller(subject="lab-login", enterprise_id="lab-1", roles=frozenset({"labour"}), kind="enterprise")
ADMIN = Caller(subject="admin-1", roles=frozenset({"admin"}), kind="admin")
SERVICE = Caller(subject="gateway", roles=frozenset({"service"}), kind="service")
REGULATOR = Caller(subject="reg-1", roles=frozenset({"regulator"}), kind="regulator")


@pytest.mark.parametrize(("typed", "kept"), [(" sh-2026/001 ", "SH-2026/001"), ("3101152018120301", "3101152018120301"),
                                             ("\tab-1\n", "AB-1")])
def test_a_registration_number_is_kept_upper_case_without_surrounding_blanks(typed: str, kept: str) -> None:
    assert normalise_registration_number(typed) == kept
    assert registration_number_problem(kept) is None


def test_look_alike_letters_are_not_upper_cased_into_ascii_ones() -> None:
    assert normalise_registration_number("\u017f1") == "\u017f1"  # str.upper() would make it "S1"
    assert registration_number_problem("\u017f1") is not None


@pytest.mark.parametrize(("number", "why"), [("", "empty"), ("A" * 41, "at most 40 characters, this one has 41"),
                                             ("SH 2026", "' '"), ("沪-01", "'沪'"), ("SH_1", "'_'")])
def test_a_wrong_registration_number_says_why(number: str, why: str) -> None:
    problem = registration_number_problem(number)
    assert problem is not None and why in problem


def test_forty_characters_are_enough_for_a_registration_number() -> None:
    assert registration_number_problem("A/" * 20) is None


def test_a_completion_before_the_start_is_a_problem_and_the_same_day_is_not() -> None:
    assert planned_dates_problem(date(2026, 5, 2), date(2026, 5, 2)) is None
    assert planned_dates_problem(date(2026, 5, 2), date(2027, 1, 1)) is None
    problem = planned_dates_problem(date(2026, 5, 2), date(2026, 5, 1))
    assert problem is not None and "2026-05-01" in problem and "2026-05-02" in problem


def test_a_general_contractor_registers_its_own_project_whether_or_not_it_names_itself() -> None:
    assert general_contractor_for(GC, None) == "gc-1"
    assert general_contractor_for(GC, "gc-1") == "gc-1"


def test_a_general_contractor_naming_another_enterprise_is_refused() -> None:
    with pytest.raises(Problem) as refused:
        general_contractor_for(GC, "gc-2")
    assert (refused.value.status, refused.value.reason) == (403, "not_your_enterprise")


@pytest.mark.parametrize("caller", [ADMIN, SERVICE])
def test_an_operator_must_name_the_general_contractor(caller: Caller) -> None:
    assert general_contractor_for(caller, "gc-2") == "gc-2"
    with pytest.raises(Problem) as refused:
        general_contractor_for(caller, None)
    assert (refused.value.status, refused.value.reason) == (422, "general_contractor_required")


@pytest.mark.parametrize("caller", [LABOUR, GC_STAFF, REGULATOR,
                                    Caller(subject="x", roles=frozenset({"general_contractor"}), kind="enterprise")])
def test_nobody_else_registers_a_project(caller: Caller) -> None:
    with pytest.raises(Problem) as refused:
        general_contractor_for(caller, "gc-1")
    assert refused.value.status == 403


def test_a_project_is_read_by_its_contractor_its_accounts_and_the_readers_of_all() -> None:
    assert all(may_read(c, "gc-1") for c in (GC, GC_STAFF, ADMIN, SERVICE, REGULATOR))
    assert not may_read(LABOUR, "gc-1")
    assert not may_read(GC, "gc-2")
    assert not may_read(Caller(subject="x", roles=frozenset({"staff"})), "gc-1")
