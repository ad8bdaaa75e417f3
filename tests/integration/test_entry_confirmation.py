"""Entry confirmation (进场确认) by the using enterprise: accept or reject, one or a batch (R19, R20), on PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from realname_codes.roles import CONFIRM_ENTRY
from tests.support.cards import json_of
from tests.support.chain import GC, LA, LB, SP, Chain, build_chain
from tests.support.stack import Stack

ON_PROJECT = "SELECT count(*) FROM assignments WHERE status = 'accepted' AND worker_id = :w"


@pytest.fixture
def chain(stack: Stack) -> Chain:
    return build_chain(stack)


def assigned(chain: Chain, employer: str, contract: str, n: int = 1) -> list[str]:
    workers = [chain.worker(employer, f"工人{i}") for i in range(n)]
    body = json_of(chain.assign(employer, contract, workers))
    return [i["assignment_id"] for i in body["items"]]


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, json_of(response)
    return list(json_of(response)["items"])


def test_the_general_contractor_accepts_and_the_entry_time_is_the_moment_of_acceptance_r19(chain: Chain) -> None:
    [assignment] = assigned(chain, LA, "la")
    [answer] = items(chain.decide(GC, (assignment, "accept")))
    assert answer["outcome"] == "accepted" and answer["entry_at"]
    shown = json_of(chain.as_party("GET", f"/assignments/{assignment}", LA))
    assert shown["status"] == "accepted" and shown["entry_at"] == answer["entry_at"]
    event = chain.events("assignment.accepted")[0]
    assert event["assignment_id"] == assignment and event["entry_at"]


def test_accepting_twice_keeps_one_worker_on_the_project_and_the_first_entry_time_r20(chain: Chain) -> None:
    [assignment] = assigned(chain, LA, "la")
    first = items(chain.decide(GC, (assignment, "accept")))[0]
    again = items(chain.decide(GC, (assignment, "accept")))[0]
    assert again["outcome"] == "already_accepted" and again["entry_at"] == first["entry_at"]
    assert len(chain.events("assignment.accepted")) == 1


def test_two_operators_accepting_the_same_batch_at_once_put_each_worker_on_the_project_once_r20(
        chain: Chain) -> None:
    batch = assigned(chain, LA, "la", 40)
    decisions = [(a, "accept") for a in batch]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda order: chain.decide(GC, *order),
                                [decisions, decisions[::-1], decisions, decisions[::-1], decisions, decisions]))
    outcomes = sorted(i["outcome"] for response in answers for i in items(response))
    assert outcomes.count("accepted") == 40 and outcomes.count("already_accepted") == 200
    assert len(chain.events("assignment.accepted")) == 40
    assert chain.count("SELECT count(*) FROM assignments WHERE status = 'accepted'") == 40
    entry_times = {i["assignment_id"]: i["entry_at"] for response in answers for i in items(response)}
    assert len(entry_times) == 40 and all(entry_times.values())


def test_a_retry_after_a_lost_answer_with_its_idempotency_key_is_answered_as_the_first_time_r33(
        chain: Chain) -> None:
    [assignment] = assigned(chain, LA, "la")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = chain.decide(GC, (assignment, "accept"), headers=key)
    retry = chain.decide(GC, (assignment, "accept"), headers=key)
    assert json_of(retry) == json_of(first) and items(retry)[0]["outcome"] == "accepted"
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_a_batch_of_a_thousand_is_decided_in_one_call_and_more_is_refused_whole_r19(chain: Chain) -> None:
    batch = assigned(chain, LA, "la", 1000)
    answers = items(chain.decide(GC, *[(a, "accept") for a in batch]))
    assert [a["outcome"] for a in answers] == ["accepted"] * 1000
    too_many = chain.decide(GC, *[(str(uuid.uuid4()), "accept") for _ in range(1001)])
    assert too_many.status_code == 422


def test_a_rejection_needs_a_reason_and_a_repeated_assignment_refuses_the_batch_whole(chain: Chain) -> None:
    a, b = assigned(chain, LA, "la", 2)
    no_reason = chain.as_party("POST", "/decisions", GC, json={"items": [
        {"assignment_id": a, "decision": "accept"}, {"assignment_id": b, "decision": "reject"}]})
    assert no_reason.status_code == 422 and json_of(no_reason)["reason"] == "rejection_reason_required"
    repeated = chain.decide(GC, (a, "accept"), (a, "reject"))
    assert repeated.status_code == 422 and json_of(repeated)["reason"] == "assignment_repeated"
    assert chain.count("SELECT count(*) FROM assignments WHERE status <> 'requested'") == 0


def test_a_rejected_worker_is_told_why_and_can_be_assigned_again(chain: Chain) -> None:
    worker = chain.worker(LA)
    first = json_of(chain.assign(LA, "la", [worker]))["items"][0]["assignment_id"]
    [answer] = items(chain.decide(GC, (first, "reject")))
    assert answer["outcome"] == "rejected"
    assert json_of(chain.as_party("GET", f"/assignments/{first}", LA))["rejection_reason"] == "证件不全"
    again = json_of(chain.assign(LA, "la", [worker]))["items"][0]
    assert again["outcome"] == "assigned" and again["assignment_id"] != first


def test_only_the_enterprise_that_awarded_the_contract_decides_r19(chain: Chain) -> None:
    [on_la] = assigned(chain, LA, "la")
    [on_lb] = assigned(chain, LB, "lb")
    assert items(chain.decide(SP, (on_la, "accept")))[0]["reason"] == "assignment_not_found"
    assert items(chain.decide(GC, (on_lb, "accept")))[0]["reason"] == "assignment_not_found"  # SP's to decide
    assert items(chain.decide(SP, (on_lb, "accept")))[0]["outcome"] == "accepted"
    assert chain.as_party("POST", "/decisions", LA, json={"items": [
        {"assignment_id": on_la, "decision": "accept"}]}).status_code == 403  # an employer does not confirm


def test_staff_confirm_entry_only_with_the_delegated_function_on_that_project_r32(chain: Chain) -> None:
    [assignment] = assigned(chain, LA, "la")
    body = {"items": [{"assignment_id": assignment, "decision": "accept"}]}
    plain = chain.call("POST", "/decisions", "staff", GC, json=body)
    assert items(plain)[0]["reason"] == "assignment_not_found"
    other_project = chain.call("POST", "/decisions", "staff", GC, json=body,
                               projects={str(uuid.uuid4()): [CONFIRM_ENTRY]})
    assert items(other_project)[0]["reason"] == "assignment_not_found"
    delegated = chain.call("POST", "/decisions", "staff", GC, json=body, projects={chain.project_id: [CONFIRM_ENTRY]})
    assert items(delegated)[0]["outcome"] == "accepted"


def test_a_withdrawn_assignment_cannot_be_accepted(chain: Chain) -> None:
    [assignment] = assigned(chain, LA, "la")
    chain.as_party("POST", f"/assignments/{assignment}/withdrawal", LA)
    assert items(chain.decide(GC, (assignment, "accept")))[0]["reason"] == "withdrawn"


def test_a_worker_whose_employment_ended_meanwhile_is_not_accepted_r24(chain: Chain) -> None:
    worker = chain.worker(LA)
    assignment = json_of(chain.assign(LA, "la", [worker]))["items"][0]["assignment_id"]
    with chain.stack.db("assignment").engine.connect() as conn:
        conn.execute(text("UPDATE workers SET employment_status = 'ended', employer_id = NULL WHERE worker_id = :w"),
                     {"w": worker})
        conn.commit()
    assert items(chain.decide(GC, (assignment, "accept")))[0]["reason"] == "resigned"
    assert chain.count(ON_PROJECT, w=worker) == 0
