"""An exit (R24) that meets an acceptance in flight (R19), interleaved deterministically on PostgreSQL.

The decision runs in its own transaction and stops before it commits; the exit runs in another thread and is
let go only once it waits on a lock (or has finished). Whatever the order, no worker whose employment ended,
or whose contract was completed, stays accepted on the project (and so on its gates, R26).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from realname_assignment.assignments import AssignRequest, assign_workers
from realname_assignment.decisions import decide_assignments
from realname_assignment.exits import exit_handlers
from realname_kit.auth import Caller
from realname_kit.bus.envelope import Envelope
from tests.support.cards import json_of
from tests.support.chain import GC, LA, Chain, build_chain
from tests.support.stack import Stack, eventually

OPERATOR = Caller(subject="op-e-gc", enterprise_id=GC, roles=frozenset({"general_contractor"}), kind="enterprise")
WAITING = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
           "AND wait_event_type = 'Lock'")


@pytest.fixture
def chain(stack: Stack) -> Chain:
    return build_chain(stack)


def requested(chain: Chain) -> tuple[str, str]:
    """A worker of LA assigned through LA's contract and awaiting the decision: (worker id, assignment id)."""
    worker = chain.worker(LA, "李四")
    return worker, json_of(chain.assign(LA, "la", [worker]))["items"][0]["assignment_id"]


def in_flight_while(chain: Chain, act: Callable[[Session], Any], other: Callable[[], Any]) -> Any:
    """Run ``act`` in a transaction, and ``other`` once ``act`` has done its work but not committed yet."""
    done, release = threading.Event(), threading.Event()

    def transaction() -> Any:
        with chain.stack.db("assignment").transaction() as session:
            answer = act(session)
            done.set()
            assert release.wait(30)
            return answer

    with ThreadPoolExecutor(2) as pool:
        acting = pool.submit(transaction)
        assert done.wait(30)
        meanwhile = pool.submit(other)
        eventually(lambda: meanwhile.done() or chain.count(WAITING) > 0, timeout=30)
        release.set()
        answer = acting.result(timeout=30)
        meanwhile.result(timeout=30)
    return answer


def accepting_while(chain: Chain, assignment: str, other: Callable[[], Any]) -> dict[str, Any]:
    """Accept ``assignment``, and run ``other`` while the decision is in flight."""
    items = [{"assignment_id": assignment, "decision": "accept"}]
    answer: dict[str, Any] = in_flight_while(chain, lambda s: decide_assignments(s, OPERATOR, items), other)
    return answer


def ended(chain: Chain, worker: str) -> dict[str, Any]:
    """The ``employment.ended`` of the worker's employment with LA."""
    return {"worker_id": worker, "employment_id": employment_of(chain, worker), "employer_id": LA,
            "ended_on": "2026-12-04", "cause": "resignation"}


def status_of(chain: Chain, assignment: str) -> str:
    with chain.stack.db("assignment").engine.connect() as conn:
        return str(conn.execute(text("SELECT status FROM assignments WHERE id = :a"), {"a": assignment}).scalar_one())


def employment_of(chain: Chain, worker: str) -> str:
    with chain.stack.db("assignment").engine.connect() as conn:
        return str(conn.execute(text("SELECT employment_id FROM workers WHERE worker_id = :w"),
                                {"w": worker}).scalar_one())


def test_an_employment_ending_while_the_acceptance_is_in_flight_exits_the_worker_r24_r26(chain: Chain) -> None:
    worker, assignment = requested(chain)
    answer = accepting_while(chain, assignment, lambda: chain.handle("employment.ended", ended(chain, worker)))
    assert answer["items"][0]["outcome"] == "accepted"
    assert status_of(chain, assignment) == "exited"
    [exited] = chain.events("assignment.exited")
    assert (exited["assignment_id"], exited["cause"]) == (assignment, "employment_ended")


def test_a_contract_completed_while_the_acceptance_is_in_flight_exits_the_worker_r24_r26(chain: Chain) -> None:
    _, assignment = requested(chain)
    contract = chain.contracts["la"]

    def complete() -> None:
        done = chain.as_party("POST", f"/contracts/{contract}/completion", GC)
        assert done.status_code == 200, json_of(done)
        with chain.stack.db("assignment").transaction() as session:  # the consumer, on contract.completed
            exit_handlers["contract.completed"](session, Envelope(
                type="contract.completed", source="assignment",
                data={"contract_id": contract, "project_id": chain.project_id, "cause": "contract_completed"}))

    accepting_while(chain, assignment, complete)
    assert status_of(chain, assignment) == "exited"
    assert [e["cause"] for e in chain.events("assignment.exited")] == ["contract_completed"]


def test_an_employment_ending_while_the_worker_is_being_assigned_withdraws_the_request_r24(chain: Chain) -> None:
    worker = chain.worker(LA, "王五")
    employer = Caller(subject="op-e-la", enterprise_id=LA, roles=frozenset({"labour"}), kind="enterprise")
    wanted = AssignRequest(chain.contracts["la"], [worker], None)
    answer = in_flight_while(chain, lambda s: assign_workers(s, employer, wanted),
                             lambda: chain.handle("employment.ended", ended(chain, worker)))
    assert answer["items"][0]["outcome"] == "assigned"
    assert status_of(chain, answer["items"][0]["assignment_id"]) == "withdrawn"
    assert chain.count("SELECT count(*) FROM assignments WHERE status IN ('requested', 'accepted')") == 0


def test_every_entry_decision_is_in_the_audit_log_with_its_operator(chain: Chain) -> None:
    _, accepted = requested(chain)
    _, rejected = requested(chain)
    answer = chain.call("POST", "/decisions", "staff", GC, json={"items": [
        {"assignment_id": accepted, "decision": "accept"},
        {"assignment_id": rejected, "decision": "reject", "reason": "证件不全"}]},
        kind="staff", projects={chain.project_id: ["confirm_entry"]})  # a delegate of the GC (R32)
    assert answer.status_code == 200, json_of(answer)
    records = {e["subject"]: e for e in chain.events("audit.recorded")
               if e["action"] in ("entry.confirmed", "entry.rejected")}
    assert records[accepted]["action"] == "entry.confirmed"
    assert records[rejected]["action"] == "entry.rejected" and records[rejected]["reason"] == "证件不全"
    for record in records.values():
        assert record["actor"]["subject"] == f"op-{GC}" and record["actor"]["enterprise_id"] == GC
        assert record["actor"]["roles"] == ["staff"] and record["actor"]["kind"] == "staff"
        assert record["details"]["project_id"] == chain.project_id
    entry_at = datetime.fromisoformat(json_of(answer)["items"][0]["entry_at"])
    assert datetime.fromisoformat(records[accepted]["details"]["entry_at"]) == entry_at
    again = chain.decide(GC, (accepted, "accept"), headers={"Idempotency-Key": str(uuid.uuid4())})
    assert json_of(again)["items"][0]["outcome"] == "already_accepted"
    assert len([e for e in chain.events("audit.recorded") if e["action"] == "entry.confirmed"]) == 1
