"""The general contractor's decision list shows whom it admits (R19): masked numbers (R4), identity status, team,
employer; kept current from the registry's events over the real bus (RabbitMQ, PostgreSQL, relays, consumers)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from kombu import Connection, Producer
from sqlalchemy import text

from realname_kit.bus.envelope import Envelope
from realname_registry.app import create_app as create_registry
from tests.support.chain import GC, LA, Chain, build_chain, uscc_of
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer
from tests.support.workers import Client, id_number, worker_body

WORKERS = "/api/v1/registry/workers"
BORN = date(1986, 4, 12)


@pytest.fixture
def world(stack: Stack) -> tuple[Chain, Client]:
    stack.migrate("registry", "assignment")
    stack.declare()
    for service in ("registry", "assignment"):
        stack.spawn("relay", service)
        stack.spawn("consumer", service)
    chain = build_chain(stack)
    registry = create_registry(stack.settings, stack.db("registry"))
    return chain, Client(registry.test_client(), bearer(stack.settings, "labour", enterprise_id=LA))


def decision_list(chain: Chain) -> list[dict[str, Any]]:
    answer = chain.as_party("GET", f"/assignments?side=using&status=requested&project_id={chain.project_id}", GC)
    assert answer.status_code == 200, answer.get_json()
    items: list[dict[str, Any]] = answer.get_json()["items"]
    return items


def publish_verified_read(stack: Stack, number: str, name: str) -> None:
    data = {"read_id": str(uuid.uuid4()), "employer_id": LA, "id_number": number, "name": name, "sex": "male",
            "ethnicity": "01", "birth_date": BORN.isoformat(), "address": "上海市徐汇区漕溪北路1号",
            "issuing_authority": "上海市公安局徐汇分局", "valid_from": "2016-05-01", "valid_to": "2036-05-01",
            "verified_at": "2026-12-05T01:00:00+00:00"}
    envelope = Envelope(type="identity.verified", source="identity", data=data)
    with Connection(stack.amqp) as conn:
        Producer(conn.default_channel, exchange=stack.topology.exchange("identity")).publish(
            envelope.to_json(), routing_key=envelope.type, content_type="application/json",
            content_encoding="utf-8", message_id=envelope.id)


def test_the_decision_list_shows_whom_the_contractor_admits_and_keeps_it_current(
        world: tuple[Chain, Client]) -> None:
    chain, labour = world
    # the project reaches the registry from assignment's events, the team reaches assignment from the registry's
    # (the relays and consumers take seconds to start on a busy machine)
    team = eventually(lambda: labour.post("/api/v1/registry/teams", json={
        "project_id": chain.project_id, "name": "钢筋一班"}).get_json().get("id"), timeout=120, interval=0.5)
    number = id_number(BORN)
    registered = labour.post(WORKERS, json=worker_body(team, name="马超", number=number, birth=BORN))
    assert registered.status_code == 201, registered.get_json()
    worker = registered.get_json()
    eventually(lambda: chain.count("SELECT count(*) FROM teams WHERE team_id = :t", t=team), timeout=60)
    eventually(lambda: chain.assign(LA, "la", [worker["id"]]).get_json()["counts"].get("assigned"), timeout=60)

    [item] = decision_list(chain)
    assert item["worker_name"] == "马超" and item["trade_code"] == "010"
    assert item["id_number"] == worker["id_number"] == number[:6] + "********" + number[-4:]  # R4
    assert item["phone"] == worker["phone"] and "****" in item["phone"]
    assert item["identity_status"] == "unverified"
    assert (item["team_id"], item["team_name"]) == (team, "钢筋一班")
    assert (item["employer_id"], item["employer_name"], item["employer_uscc"]) == (LA, f"{LA}公司", uscc_of(LA))

    edited = labour.patch(f"{WORKERS}/{worker['id']}", json={"phone": "13612345678"},
                          headers={"If-Match": registered.headers["ETag"]})
    assert edited.status_code == 200, edited.get_json()
    eventually(lambda: decision_list(chain)[0]["phone"] == "136****5678", timeout=60)

    publish_verified_read(chain.stack, number, "马超")  # the identity service's answer reaches the registry
    eventually(lambda: decision_list(chain)[0]["identity_status"] == "verified", timeout=60)
    one = chain.as_party("GET", f"/assignments/{item['id']}", GC).get_json()
    assert (one["identity_status"], one["phone"], one["team_name"]) == ("verified", "136****5678", "钢筋一班")

    # the plain numbers never left the registry: not in its events, not in assignment's tables
    with chain.stack.db("registry").engine.connect() as conn:
        payloads = [json.loads(p) for p in conn.execute(text(
            "SELECT payload FROM outbox WHERE type IN ('worker.registered', 'worker.updated')")).scalars()]
    assert len(payloads) == 3 and all(p["data"]["id_number_masked"] == item["id_number"] for p in payloads)
    assert not [p for p in payloads if number in json.dumps(p) or "13612345678" in json.dumps(p)]
    assert chain.count("SELECT count(*) FROM workers WHERE id_number_masked LIKE :n", n=f"%{number[6:14]}%") == 0


def test_a_worker_announced_by_an_older_registry_shows_no_numbers_until_an_update_brings_them(
        world: tuple[Chain, Client]) -> None:
    chain, _labour = world
    worker = chain.worker(LA, "赵云", identity_status="unverified")  # an event without the masked numbers
    assert chain.assign(LA, "la", [worker]).status_code == 200
    [item] = decision_list(chain)
    assert (item["id_number"], item["phone"], item["identity_status"]) == (None, None, "unverified")
    chain.handle("worker.updated", {"worker_id": worker, "version": 2, "fields": ["phone"], "name": "赵云",
                                    "identity_status": "rejected", "id_number_masked": "310104********1234",
                                    "phone_masked": "139****0000"})
    chain.handle("worker.updated", {"worker_id": worker, "version": 3, "fields": ["phone"], "name": "赵云",
                                    "identity_status": "rejected", "phone_masked": "13900000000"})  # plain: refused
    [item] = decision_list(chain)
    assert (item["id_number"], item["phone"], item["identity_status"]) == (
        "310104********1234", "139****0000", "rejected")
