"""Exit (退场) is never a manual act (R24, R26): it follows an ended employment, a death, a completed subcontract
or project, through the assignment service's consumer and relay on RabbitMQ and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kombu import Connection, Producer
from sqlalchemy import text

from realname_kit.bus.envelope import Envelope
from tests.support.cards import json_of
from tests.support.chain import GC, LA, LB, SP, Chain, build_chain, uscc_of
from tests.support.stack import Stack, eventually

STATUS = "SELECT status FROM assignments WHERE id = :a"


@pytest.fixture
def chain(stack: Stack) -> Chain:
    built = build_chain(stack)
    stack.declare()
    stack.spawn("consumer", "assignment")
    stack.spawn("relay", "assignment")
    return built


def publish(stack: Stack, event_type: str, data: dict[str, Any]) -> None:
    envelope = Envelope(type=event_type, source="registry", data=data)
    with Connection(stack.amqp) as conn:
        producer = Producer(conn.default_channel, exchange=stack.topology.exchange("registry"))
        producer.publish(envelope.to_json(), routing_key=event_type, content_type="application/json",
                         content_encoding="utf-8", message_id=envelope.id)


def on_project(chain: Chain, employer: str, contract: str, name: str = "工人") -> tuple[str, str]:
    """A worker assigned and accepted: (worker id, assignment id)."""
    worker = chain.worker(employer, name)
    assignment = json_of(chain.assign(employer, contract, [worker]))["items"][0]["assignment_id"]
    decider = SP if contract == "lb" else GC
    assert json_of(chain.decide(decider, (assignment, "accept")))["items"][0]["outcome"] == "accepted"
    return worker, assignment


def status_of(chain: Chain, assignment: str) -> str:
    with chain.stack.db("assignment").engine.connect() as conn:
        return str(conn.execute(text(STATUS), {"a": assignment}).scalar_one())


def exited(chain: Chain, assignment: str) -> bool:
    return status_of(chain, assignment) == "exited"


def employment_of(chain: Chain, worker: str) -> str:
    with chain.stack.db("assignment").engine.connect() as conn:
        return str(conn.execute(text("SELECT employment_id FROM workers WHERE worker_id = :w"),
                                {"w": worker}).scalar_one())


def test_an_ended_employment_exits_the_worker_from_every_project_and_withdraws_requests_r24(chain: Chain) -> None:
    worker, accepted = on_project(chain, LA, "la")
    second = json_of(chain.as_party("POST", "/projects", GC, json={
        "name": "二期", "registration_number": f"EQ-{uuid.uuid4().hex[:8]}", "address": "上海市1号",
        "planned_start": "2026-01-01", "planned_completion": "2027-01-01"}))["id"]
    contract = json_of(chain.as_party("POST", f"/projects/{second}/contracts", GC,
                                      json={"contractor_uscc": uscc_of(LA), "kind": "labour"}))["id"]
    requested = json_of(chain.assign(LA, contract, [worker]))["items"][0]["assignment_id"]
    publish(chain.stack, "employment.ended", {"worker_id": worker, "employment_id": employment_of(chain, worker),
                                              "employer_id": LA, "ended_on": "2026-12-04", "cause": "resignation"})
    eventually(lambda: exited(chain, accepted), timeout=20)
    assert status_of(chain, requested) == "withdrawn"
    [event] = chain.events("assignment.exited")
    assert (event["assignment_id"], event["cause"]) == (accepted, "employment_ended")
    refused = json_of(chain.assign(LA, "la", [worker]))["items"][0]
    assert refused["reason"] == "resigned"


def test_a_death_recorded_in_the_registry_exits_the_worker_r24(chain: Chain) -> None:
    worker, assignment = on_project(chain, LA, "la")
    publish(chain.stack, "worker.died", {"worker_id": worker, "employment_id": employment_of(chain, worker),
                                         "employer_id": LA, "died_on": "2026-12-03"})
    eventually(lambda: exited(chain, assignment), timeout=20)
    assert chain.events("assignment.exited")[0]["cause"] == "deceased"
    assert json_of(chain.assign(LA, "la", [worker]))["items"][0]["reason"] == "deceased"


def test_completing_a_specialty_subcontract_exits_everyone_beneath_it_and_no_one_else_r24(chain: Chain) -> None:
    _, under_lb = on_project(chain, LB, "lb")
    _, under_la = on_project(chain, LA, "la")
    completed = chain.as_party("POST", f"/contracts/{chain.contracts['sp']}/completion", GC)
    assert completed.status_code == 200, json_of(completed)
    eventually(lambda: exited(chain, under_lb), timeout=20)
    assert status_of(chain, under_la) == "accepted"
    assert {e["cause"] for e in chain.events("assignment.exited")} == {"contract_completed"}


def test_completing_the_project_exits_everyone_on_it_once_r24(chain: Chain) -> None:
    on = [on_project(chain, LA, "la", "甲")[1], on_project(chain, LB, "lb", "乙")[1],
          on_project(chain, GC, "own", "保安")[1]]
    assert chain.as_party("POST", f"/projects/{chain.project_id}/completion", GC).status_code == 200
    eventually(lambda: all(exited(chain, a) for a in on), timeout=20)
    eventually(lambda: chain.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0, timeout=20)
    assert sorted(e["assignment_id"] for e in chain.events("assignment.exited")) == sorted(on)
    late = chain.assign(LA, "la", [chain.worker(LA, "迟到")])
    assert late.status_code == 409 and json_of(late)["reason"] in ("project_completed", "contract_completed")
