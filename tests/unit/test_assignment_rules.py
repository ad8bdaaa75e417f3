"""The rules of assignment and entry confirmation, without I/O (R3, R12, R18-R20, R24, R32)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_assignment.assignment_rules import (
    ACCEPT,
    ACCEPTED,
    EXITED,
    REJECT,
    REJECTED,
    REQUESTED,
    STATUSES,
    WITHDRAWN,
    assigning_party,
    check_decisions,
    decide,
    distinct_workers,
    entry_time,
    may_change,
    may_decide,
    still_requested,
    worker_refusal,
)
from realname_codes.roles import ASSIGN_WORKERS, CONFIRM_ENTRY
from realname_kit.auth import Caller
from realname_kit.problems import Problem

EMPLOYER, GC = "e-labour", "e-gc"


@dataclass(frozen=True)
class Worker:
    employer_id: str | None = EMPLOYER
    employment_status: str = "active"
    identity_status: str = "verified"
    deceased: bool = False


@dataclass(frozen=True)
class Contract:
    project_id: str = "p-1"
    contractor_id: str = EMPLOYER
    awarded_by: str = GC
    status: str = "active"


def enterprise(enterprise_id: str, role: str) -> Caller:
    return Caller(subject="c", enterprise_id=enterprise_id, roles=frozenset({role}), kind="enterprise")


def staff(enterprise_id: str, **projects: list[str]) -> Caller:
    return Caller(subject="s", enterprise_id=enterprise_id, roles=frozenset({"staff"}), kind="staff",
                  projects={p.replace("_", "-"): frozenset(f) for p, f in projects.items()})


def test_a_worker_employed_by_you_with_an_identity_not_rejected_may_be_assigned_r3() -> None:
    assert worker_refusal(Worker(), EMPLOYER) is None
    assert worker_refusal(Worker(identity_status="unverified"), EMPLOYER) is None  # R3: verified later


@pytest.mark.parametrize(("worker", "reason"), [
    (None, "worker_unknown"), (Worker(deceased=True), "deceased"),
    (Worker(employment_status="ended", employer_id=None), "resigned"),
    (Worker(employer_id="e-other"), "not_employed_by_you"), (Worker(identity_status="rejected"), "identity_rejected")])
def test_each_worker_that_cannot_be_assigned_is_refused_with_its_reason_r12_r24(worker: Worker | None,
                                                                               reason: str) -> None:
    refusal = worker_refusal(worker, EMPLOYER)
    assert refusal is not None and refusal.reason == reason and refusal.message


def test_only_the_contractor_named_by_the_contract_assigns_through_it_r18() -> None:
    assert assigning_party(enterprise(EMPLOYER, "labour"), Contract()) == EMPLOYER
    with pytest.raises(Problem) as other:
        assigning_party(enterprise("e-other", "labour"), Contract())
    assert other.value.reason == "not_your_contract"
    with pytest.raises(Problem) as done:
        assigning_party(enterprise(EMPLOYER, "labour"), Contract(status="completed"))
    assert done.value.reason == "contract_completed"


def test_staff_assign_only_with_assign_workers_on_that_project_r32() -> None:
    with pytest.raises(Problem) as plain:
        assigning_party(staff(EMPLOYER), Contract())
    assert plain.value.reason == "function_not_delegated"
    assert assigning_party(staff(EMPLOYER, p_1=[ASSIGN_WORKERS]), Contract()) == EMPLOYER
    assert may_change(staff(EMPLOYER, p_1=[ASSIGN_WORKERS]), EMPLOYER, "p-1")
    assert not may_change(staff(EMPLOYER, p_2=[ASSIGN_WORKERS]), EMPLOYER, "p-1")


def test_the_enterprise_that_awarded_the_contract_decides_and_its_staff_with_confirm_entry_r19_r32() -> None:
    assert may_decide(enterprise(GC, "general_contractor"), Contract())
    assert not may_decide(enterprise(EMPLOYER, "labour"), Contract())
    assert not may_decide(enterprise("e-sp", "specialty"), Contract())
    assert may_decide(staff(GC, p_1=[CONFIRM_ENTRY]), Contract())
    assert not may_decide(staff(GC, p_1=[ASSIGN_WORKERS]), Contract())


@given(st.sampled_from(STATUSES), st.sampled_from([ACCEPT, REJECT]), st.sampled_from(["active", "completed"]))
def test_a_decision_never_moves_a_decided_assignment_r20(status: str, decision: str, contract: str) -> None:
    outcome = decide(status, decision, contract)
    if status != REQUESTED or contract != "active":
        assert outcome.new_status is None
    else:
        assert outcome.new_status == (ACCEPTED if decision == ACCEPT else REJECTED)


def test_the_same_decision_again_is_answered_as_already_taken_and_another_is_refused_r20() -> None:
    assert decide(ACCEPTED, ACCEPT, "active").outcome == "already_accepted"
    assert decide(REJECTED, REJECT, "active").outcome == "already_rejected"
    refused = decide(ACCEPTED, REJECT, "active").refusal
    assert refused is not None and refused.reason == "already_decided"
    for status, reason in ((WITHDRAWN, "withdrawn"), (EXITED, "exited")):
        refusal = decide(status, ACCEPT, "active").refusal
        assert refusal is not None and refusal.reason == reason


def test_a_batch_of_decisions_is_checked_whole_before_anything_happens() -> None:
    check_decisions([{"assignment_id": "a", "decision": ACCEPT}, {"assignment_id": "b", "decision": REJECT,
                                                                   "reason": "证件不全"}])
    with pytest.raises(Problem) as no_reason:
        check_decisions([{"assignment_id": "a", "decision": REJECT, "reason": "  "}])
    assert no_reason.value.reason == "rejection_reason_required"
    with pytest.raises(Problem) as twice:
        check_decisions([{"assignment_id": "a", "decision": ACCEPT}, {"assignment_id": "a", "decision": ACCEPT}])
    assert twice.value.reason == "assignment_repeated" and twice.value.extra["index"] == 1


def test_a_change_or_withdrawal_is_possible_only_until_the_decision_r18() -> None:
    still_requested(REQUESTED)
    for status, reason in ((WITHDRAWN, "already_withdrawn"), (ACCEPTED, "already_decided"),
                           (REJECTED, "already_decided")):
        with pytest.raises(Problem) as refused:
            still_requested(status)
        assert refused.value.reason == reason and refused.value.status == 409


@given(st.lists(st.sampled_from(["w1", "w2", "w3", "w4"]), max_size=12))
def test_a_worker_named_twice_in_a_list_is_one_worker_in_the_order_first_named(ids: list[str]) -> None:
    once = distinct_workers(ids)
    assert sorted(set(ids)) == sorted(once) and len(once) == len(set(ids))
    assert once == sorted(once, key=ids.index)


def test_only_an_accepted_assignment_shows_an_entry_time_r19() -> None:
    moment = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    assert entry_time(ACCEPTED, moment) == moment and entry_time(EXITED, moment) == moment
    assert entry_time(REQUESTED, moment) is None
