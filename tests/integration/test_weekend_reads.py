"""On the weekend (R3), on real RabbitMQ and PostgreSQL: a read waiting for the authority fills a registration in,
and the authority's early return is noticed by a probe that releases the waiting reads.

The identity service's consumer and relay and the registry's consumer run as processes; the authority's simulator
runs in the test on a clock the test moves. Its Saturday is years ahead, so the announced reopening (the Monday
after it) is far in real time: only the probe can bring the reads back early.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Queue, binding

from realname_identity.app import create_app as identity_app
from realname_kit.bus.envelope import Envelope
from realname_kit.timeutil import CHINA
from realname_registry.app import create_app as registry_app
from tests.support.authority import MONDAY, RunningAuthority
from tests.support.cards import card_of, drain_envelopes, json_of, person
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer
from tests.support.workers import Client, worker_body

READS, WORKERS = "/api/v1/identity/card-reads", "/api/v1/registry/workers"
FAR_SATURDAY = datetime(2030, 11, 23, 10, 0, tzinfo=CHINA)  # reopens Monday 2030-11-25 08:00
PEOPLE = [person(100 + n) for n in range(12)] + [person(120, "reported_fake")]
PROBE_SECONDS = 2


@dataclass
class Weekend:
    stack: Stack
    authority: RunningAuthority
    identity: Client
    registry: Client
    events: str  # a queue of the test's own, bound to identity.verified

    def read(self, someone: dict[str, str]) -> str:
        response = self.identity.post(READS, json=card_of(someone))
        assert response.status_code == 201, json_of(response)
        return str(json_of(response)["id"])

    def read_status(self, read_id: str) -> dict[str, Any]:
        return dict(json_of(self.identity.get(f"{READS}/{read_id}")))

    def known_to_registry(self, read_id: str) -> bool:
        return self.stack.count("registry", "SELECT count(*) FROM card_reads WHERE id = :i", i=read_id) == 1

    def register_from(self, read_id: str) -> dict[str, Any]:
        body = worker_body(None, trade_code="900")
        body.pop("identity")
        response = self.registry.post(WORKERS, json={**body, "card_read_id": read_id})
        assert response.status_code == 201, json_of(response)
        return dict(json_of(response))

    def probes(self) -> int:
        return self.stack.count("identity", "SELECT count(*) FROM outbox WHERE type LIKE "
                                            "'identity.authority_probe_due%'")

    def worker(self, worker_id: str) -> dict[str, Any]:
        return dict(json_of(self.registry.get(f"{WORKERS}/{worker_id}")))


@pytest.fixture
def weekend(stack: Stack, tmp_path: Path) -> Iterator[Weekend]:
    stack.migrate("identity", "registry")
    stack.declare()
    events = f"{stack.prefix}.test.verified"
    with Connection(stack.amqp) as conn:
        Queue(events, bindings=[binding(stack.topology.exchange("identity"), routing_key="identity.verified")],
              durable=False, auto_delete=False)(conn.default_channel).declare()
    with RunningAuthority(tmp_path, PEOPLE, latency_seconds=0.02) as authority:
        authority.clock.set(FAR_SATURDAY)
        env = {"REALNAME_IDENTITY_AUTHORITY_URL": authority.url, "REALNAME_IDENTITY_AUTHORITY_TIMEOUT": "2",
               "REALNAME_IDENTITY_AUTHORITY_PROBE_SECONDS": str(PROBE_SECONDS)}
        stack.spawn("consumer", "identity", **env)
        stack.spawn("relay", "identity", **env)
        stack.spawn("consumer", "registry")
        stack.spawn("relay", "registry")
        employer_id = str(uuid.uuid4())
        headers = bearer(stack.settings, "labour", enterprise_id=employer_id)
        identity = identity_app(stack.settings, stack.db("identity")).test_client()
        registry = registry_app(stack.settings, stack.db("registry")).test_client()
        yield Weekend(stack, authority, Client(identity, headers), Client(registry, headers), events)
        with Connection(stack.amqp) as conn:
            Queue(events)(conn.default_channel).delete()


def waiting_for_the_reopening(weekend: Weekend, read_id: str) -> dict[str, Any]:
    def waiting() -> dict[str, Any] | None:
        status = weekend.read_status(read_id)
        return status if status["reason"] == "authority_closed" else None
    status: dict[str, Any] = eventually(waiting, timeout=120)
    assert status["status"] == "pending" and status["next_attempt_at"].startswith("2030-11-25")
    return status


def test_a_read_waiting_on_a_weekend_fills_the_registration_in_and_the_worker_is_verified_when_it_is_r3(
        weekend: Weekend) -> None:
    someone = PEOPLE[0]
    read_id = weekend.read(someone)
    eventually(lambda: weekend.known_to_registry(read_id), timeout=120)
    worker = weekend.register_from(read_id)
    assert (worker["name"], worker["identity_status"]) == (someone["name"], "unverified")
    waiting_for_the_reopening(weekend, read_id)
    weekend.authority.clock.set(MONDAY)  # the authority is back early: nobody does anything

    def verified() -> dict[str, Any] | None:
        shown = weekend.worker(worker["id"])
        return shown if shown["identity_status"] == "verified" else None
    shown = eventually(verified, timeout=90)
    assert shown["name"] == someone["name"]


def test_a_read_waiting_on_a_weekend_that_the_authority_then_rejects_rejects_the_worker_registered_from_it(
        weekend: Weekend) -> None:
    read_id = weekend.read(PEOPLE[-1])
    eventually(lambda: weekend.known_to_registry(read_id), timeout=120)
    worker = weekend.register_from(read_id)
    waiting_for_the_reopening(weekend, read_id)
    weekend.authority.clock.set(MONDAY)

    def rejected() -> dict[str, Any] | None:
        shown = weekend.worker(worker["id"])
        return shown if shown["identity_status"] == "rejected" else None
    assert eventually(rejected, timeout=90)["identity_reason"] == "reported_fake"
    body = worker_body(None, trade_code="900")
    body.pop("identity")
    again = weekend.registry.post(WORKERS, json={**body, "card_read_id": read_id})
    assert again.status_code == 422 and json_of(again)["reason"] == "card_read_rejected"
    assert json_of(again)["message_zh"]


def test_the_authority_back_before_its_announced_reopening_is_noticed_by_one_probe_and_every_read_verified_once(
        weekend: Weekend) -> None:
    ids = [weekend.read(someone) for someone in PEOPLE[1:11]]
    for read_id in ids:
        waiting_for_the_reopening(weekend, read_id)
    time.sleep(3 * PROBE_SECONDS)
    # One probe chain for all ten reads, not one per read: a probe every PROBE_SECONDS while it is closed.
    probes_while_closed = weekend.probes()
    assert 2 <= probes_while_closed <= 6
    weekend.authority.clock.set(MONDAY)
    def settled(read_id: str) -> dict[str, Any] | None:
        status = weekend.read_status(read_id)
        return status if status["status"] != "pending" else None
    reads = [eventually(functools.partial(settled, read_id), timeout=90) for read_id in ids]
    assert {r["status"] for r in reads} == {"verified"}
    announced: list[Envelope] = []

    def all_announced() -> bool:
        announced.extend(drain_envelopes(weekend.stack.amqp, weekend.events))
        return len(announced) >= len(ids)
    eventually(all_announced, timeout=30)
    assert sorted(e.data["read_id"] for e in announced) == sorted(ids)  # each verified once
    assert weekend.probes() <= probes_while_closed + 2  # the chain ended when the authority answered
