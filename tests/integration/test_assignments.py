"""Assigning workers to a project through the employer's contracts (R12, R13, R18), on PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from realname_assignment.models import KnownWorker
from tests.support.cards import json_of
from tests.support.chain import GC, LA, LB, LX, SP, Chain, build_chain, uscc_of
from tests.support.stack import Stack

LIVE = "SELECT count(*) FROM assignments WHERE status IN ('requested', 'accepted')"


@pytest.fixture
def chain(stack: Stack) -> Chain:
    return build_chain(stack)


def outcomes(response: object) -> list[tuple[str, str]]:
    body = json_of(response)  # type: ignore[arg-type]
    return [(i["outcome"], i.get("reason", "")) for i in body["items"]]


def test_an_employer_assigns_one_worker_through_its_contract_and_it_is_announced_r18(chain: Chain) -> None:
    worker = chain.worker(LA)
    response = chain.assign(LA, "la", [worker])
    assert response.status_code == 200, json_of(response)
    body = json_of(response)
    assert body["project_id"] == chain.project_id and body["counts"] == {"assigned": 1}
    assert body["items"][0]["status"] == "requested"
    event = chain.events("assignment.requested")[0]
    assert (event["worker_id"], event["employer_id"], event["contract_id"]) == (worker, LA, chain.contracts["la"])


def test_a_list_is_answered_worker_by_worker_saying_why_each_refused_one_was_not_assigned(chain: Chain) -> None:
    mine, other, rejected = chain.worker(LA, "甲"), chain.worker(LB, "乙"), chain.worker(LA, "丙",
                                                                                          identity_status="rejected")
    resigned = chain.worker(LA, "丁")
    with chain.stack.db("assignment").transaction() as session:
        known = session.get(KnownWorker, resigned)
        assert known is not None
        employment = known.employment_id
    chain.handle("employment.ended", {"worker_id": resigned, "employment_id": employment, "employer_id": LA,
                                      "ended_on": "2026-12-01", "cause": "resignation"})
    unknown = str(uuid.uuid4())
    response = chain.assign(LA, "la", [mine, other, rejected, resigned, unknown, mine])
    assert outcomes(response) == [("assigned", ""), ("refused", "not_employed_by_you"),
                                  ("refused", "identity_rejected"), ("refused", "resigned"),
                                  ("refused", "worker_unknown")]  # the repeated id is one worker
    assert all(i.get("message") for i in json_of(response)["items"][1:])
    assert chain.count(LIVE) == 1


def test_an_unverified_identity_does_not_stop_an_assignment_r3(chain: Chain) -> None:
    waiting = chain.worker(LA, identity_status="unverified")
    assert outcomes(chain.assign(LA, "la", [waiting])) == [("assigned", "")]


def test_assigning_the_same_worker_again_keeps_one_assignment_and_says_already_assigned_r20(chain: Chain) -> None:
    worker = chain.worker(LA)
    first = json_of(chain.assign(LA, "la", [worker]))["items"][0]
    again = json_of(chain.assign(LA, "la", [worker]))["items"][0]
    assert again["outcome"] == "already_assigned" and again["assignment_id"] == first["assignment_id"]
    assert chain.count(LIVE) == 1 and len(chain.events("assignment.requested")) == 1


def test_twelve_requests_assigning_one_worker_at_once_leave_the_worker_once_on_the_project_r20(chain: Chain) -> None:
    worker = chain.worker(LA)
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: chain.assign(LA, "la", [worker]), range(12)))
    assert {a.status_code for a in answers} == {200}
    assert sorted(o for a in answers for o, _ in outcomes(a)) == ["already_assigned"] * 11 + ["assigned"]
    assert chain.count(LIVE) == 1 and len(chain.events("assignment.requested")) == 1


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_changes_nothing_r33(chain: Chain) -> None:
    worker, key = chain.worker(LA), {"Idempotency-Key": str(uuid.uuid4())}
    first = chain.assign(LA, "la", [worker], headers=key)
    again = chain.assign(LA, "la", [worker], headers=key)
    assert json_of(again) == json_of(first) and again.headers["Idempotent-Replayed"] == "true"
    assert outcomes(again) == [("assigned", "")]
    reused = chain.assign(LA, "la", [chain.worker(LA, "新人")], headers=key)
    assert reused.status_code == 422 and json_of(reused)["reason"] == "idempotency_key_reused"
    assert chain.count(LIVE) == 1


def test_a_worker_may_be_on_several_projects_under_the_same_employer_r12(chain: Chain, stack: Stack) -> None:
    worker = chain.worker(LA)
    second = build_chain_on_second_project(chain)
    assert outcomes(chain.assign(LA, "la", [worker])) == [("assigned", "")]
    assert outcomes(chain.assign(LA, second, [worker])) == [("assigned", "")]
    assert chain.count(LIVE) == 2


def build_chain_on_second_project(chain: Chain) -> str:
    made = chain.as_party("POST", "/projects", GC, json={
        "name": "江湾商业", "registration_number": f"JW-{uuid.uuid4().hex[:10]}", "address": "上海市杨浦区1号",
        "planned_start": "2026-01-01", "planned_completion": "2027-06-30"})
    project_id = json_of(made)["id"]
    awarded = chain.as_party("POST", f"/projects/{project_id}/contracts", GC,
                             json={"contractor_uscc": uscc_of(LA), "kind": "labour"})
    assert awarded.status_code == 201, json_of(awarded)
    return str(json_of(awarded)["id"])


def test_an_employer_assigns_only_through_a_contract_that_names_it(chain: Chain) -> None:
    worker = chain.worker(LX)
    refused = chain.assign(LX, "la", [worker])
    assert refused.status_code == 403 and json_of(refused)["reason"] == "not_your_contract"
    unknown = chain.assign(LA, str(uuid.uuid4()), [worker])
    assert unknown.status_code == 422 and json_of(unknown)["reason"] == "contract_not_found"
    assert chain.count(LIVE) == 0


def test_a_general_contractor_assigns_its_site_staff_through_the_projects_own_contract_r13(chain: Chain) -> None:
    guard = chain.worker(GC, "保安")
    assert outcomes(chain.assign(GC, "own", [guard])) == [("assigned", "")]


def test_a_whole_team_is_assigned_in_one_call_each_worker_with_the_team_r18(chain: Chain) -> None:
    team = chain.team(LA)
    members = [chain.worker(LA, f"班组{n}", team_id=team) for n in range(5)]
    chain.worker(LA, "别的班组")
    body = json_of(chain.assign(LA, "la", team_id=team))
    assert sorted(i["worker_id"] for i in body["items"]) == sorted(members)
    assert {i["team_id"] for i in body["items"]} == {team} and body["counts"] == {"assigned": 5}


def test_a_team_of_another_employer_or_project_is_refused_and_changes_nothing(chain: Chain) -> None:
    theirs = chain.team(LB)
    refused = chain.assign(LA, "la", [chain.worker(LA)], team_id=theirs)
    assert refused.status_code == 422 and json_of(refused)["reason"] == "team_unknown"
    missing = chain.assign(LA, "la", team_id=str(uuid.uuid4()))
    assert missing.status_code == 422 and json_of(missing)["reason"] == "team_unknown"
    nothing = chain.assign(LA, "la")
    assert nothing.status_code == 422
    assert chain.count(LIVE) == 0


def test_more_than_a_thousand_workers_in_one_call_are_refused_whole(chain: Chain) -> None:
    refused = chain.assign(LA, "la", [str(uuid.uuid4()) for _ in range(1001)])
    assert refused.status_code == 422 and chain.count(LIVE) == 0


def test_until_the_decision_the_employer_changes_the_team_or_project_or_withdraws_r18(chain: Chain) -> None:
    worker, team = chain.worker(LA), chain.team(LA)
    assignment_id = json_of(chain.assign(LA, "la", [worker]))["items"][0]["assignment_id"]
    read = chain.as_party("GET", f"/assignments/{assignment_id}", LA)
    changed = chain.as_party("PATCH", f"/assignments/{assignment_id}", LA, json={"team_id": team},
                             headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200 and json_of(changed)["team_id"] == team
    stale = chain.as_party("PATCH", f"/assignments/{assignment_id}", LA, json={"team_id": None},
                           headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and json_of(stale)["reason"] == "edited_meanwhile"
    second = build_chain_on_second_project(chain)
    moved = chain.as_party("PATCH", f"/assignments/{assignment_id}", LA, json={"contract_id": second},
                           headers={"If-Match": changed.headers["ETag"]})
    assert moved.status_code == 200, json_of(moved)
    assert json_of(moved)["contract_id"] == second and json_of(moved)["team_id"] is None  # teams stay on their project
    withdrawn = chain.as_party("POST", f"/assignments/{assignment_id}/withdrawal", LA)
    again = chain.as_party("POST", f"/assignments/{assignment_id}/withdrawal", LA)
    assert json_of(withdrawn)["status"] == json_of(again)["status"] == "withdrawn"
    assert len(chain.events("assignment.withdrawn")) == 1 and chain.count(LIVE) == 0


def test_a_change_without_the_etag_is_refused_and_nothing_changes(chain: Chain) -> None:
    assignment_id = json_of(chain.assign(LA, "la", [chain.worker(LA)]))["items"][0]["assignment_id"]
    refused = chain.as_party("PATCH", f"/assignments/{assignment_id}", LA, json={"team_id": None})
    assert refused.status_code == 428 and json_of(refused)["reason"] == "if_match_required"


def test_once_accepted_an_assignment_can_no_longer_be_changed_or_withdrawn_r18(chain: Chain) -> None:
    assignment_id = json_of(chain.assign(LA, "la", [chain.worker(LA)]))["items"][0]["assignment_id"]
    assert chain.decide(GC, (assignment_id, "accept")).status_code == 200
    refused = chain.as_party("POST", f"/assignments/{assignment_id}/withdrawal", LA)
    assert refused.status_code == 409 and json_of(refused)["reason"] == "already_decided"


def test_another_enterprise_cannot_see_change_or_withdraw_an_assignment(chain: Chain) -> None:
    assignment_id = json_of(chain.assign(LA, "la", [chain.worker(LA)]))["items"][0]["assignment_id"]
    for enterprise in (LB, LX, SP):
        assert chain.as_party("GET", f"/assignments/{assignment_id}", enterprise).status_code == 404
        assert chain.as_party("POST", f"/assignments/{assignment_id}/withdrawal", enterprise).status_code in (403, 404)
    assert chain.call("GET", f"/assignments/{assignment_id}", "regulator").status_code == 200


def test_the_lists_show_the_employer_what_it_made_and_the_using_enterprise_what_it_decides(chain: Chain) -> None:
    la_worker, lb_worker = chain.worker(LA, "甲"), chain.worker(LB, "乙")
    chain.assign(LA, "la", [la_worker])
    chain.assign(LB, "lb", [lb_worker])

    def names(enterprise: str, **query: str) -> list[str]:
        response = chain.as_party("GET", "/assignments", enterprise, query_string=query)
        assert response.status_code == 200, json_of(response)
        return sorted(i["worker_name"] for i in json_of(response)["items"])
    assert names(LA) == ["甲"] and names(LB) == ["乙"]
    assert names(GC, side="using") == ["甲"] and names(SP, side="using") == ["乙"]
    assert names(LX) == []


def test_an_idempotency_key_is_forgotten_after_a_day_and_then_starts_afresh(chain: Chain) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = chain.assign(LA, "la", [chain.worker(LA, "甲")], headers=key)
    with chain.stack.db("assignment").engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = created_at - interval '25 hours'"))
    later = chain.assign(LA, "la", [chain.worker(LA, "乙")], headers=key)
    assert "Idempotent-Replayed" not in later.headers and outcomes(later) == [("assigned", "")]
    assert json_of(later) != json_of(first) and chain.count(LIVE) == 2


def test_eight_clerks_assigning_overlapping_lists_at_once_all_get_answers_and_no_worker_twice_r20(
        chain: Chain) -> None:
    workers = [chain.worker(LA, f"工{n}") for n in range(30)]
    lists = [workers[n:] + workers[:n] for n in range(0, 24, 3)]  # the same workers, in eight orders
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda ids: chain.assign(LA, "la", ids), lists))
    assert {a.status_code for a in answers} == {200}
    assigned = [i["worker_id"] for a in answers for i in json_of(a)["items"] if i["outcome"] == "assigned"]
    assert sorted(assigned) == sorted(workers)  # each worker assigned by exactly one of the eight
    assert chain.count(LIVE) == 30 and len(chain.events("assignment.requested")) == 30
