"""Counting the bus, reading gauges at scrape time, readiness from heartbeats, a cached platform readiness,
and outages answered 503 — without a broker or a server."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from realname_gateway.health import CachedReadiness
from realname_kit.bus.confirming_publisher import OutgoingMessage
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.inprocess import InProcessBus
from realname_kit.bus.liveness import STALE_AFTER, Heartbeats
from realname_kit.bus.outbox import Outbox
from realname_kit.bus.processing import Delivery, MessageProcessor, PoisonMessage, TransientError
from realname_kit.bus.relay import Relay
from realname_kit.bus.tables import messaging_tables
from realname_kit.bus.topology import Topology
from realname_kit.db import Database
from realname_kit.gauges import Gauge, GaugedService, ServiceGauges
from realname_kit.health import readiness_checks
from realname_kit.metrics import render_metrics
from realname_kit.outages import install_outage_handlers
from realname_kit.problems import install_problem_handlers


@dataclass
class World:
    db: Database
    outbox: Table
    inbox: Table
    effects: Table
    queue: str = field(default_factory=lambda: f"unit-{uuid.uuid4().hex[:8]}.things")

    def processor(self, handler: Any) -> MessageProcessor:
        return MessageProcessor(self.queue, self.db, self.inbox, {"thing.happened": handler})

    def counted(self, outcome: str) -> float:
        return REGISTRY.get_sample_value("realname_messages_total", {"queue": self.queue, "outcome": outcome}) or 0.0


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    metadata = MetaData()
    outbox, inbox = messaging_tables(metadata)
    effects = Table("effects", metadata, Column("seq", Integer, primary_key=True, autoincrement=True),
                    Column("message_id", String(64), nullable=False))
    db = Database(f"sqlite:///{tmp_path / 'unit.db'}")
    metadata.create_all(db.engine)
    try:
        yield World(db, outbox, inbox, effects)
    finally:
        db.dispose()


def deliveries(*data: dict[str, Any]) -> list[Delivery]:
    return [Delivery(Envelope(type="thing.happened", source="probe", data=d).to_json()) for d in data]


def recorder(world: World) -> Any:
    def record(session: Session, envelope: Envelope) -> None:
        if envelope.data.get("poison"):
            raise PoisonMessage("this message can never succeed")
        session.execute(insert(world.effects).values(message_id=envelope.id))
    return record


def test_each_message_of_a_batch_is_counted_handled_or_dead_lettered_by_its_queue(world: World) -> None:
    world.processor(recorder(world)).process([*deliveries({}, {"poison": True}, {}), Delivery(b"not json")])
    assert world.counted("handled") == 2
    assert world.counted("dead_lettered") == 2  # the poison message and the malformed body
    assert world.counted("failed") == 1  # the poison message's handler raised; the body never reached one
    assert world.counted("retried") == 0


def test_a_transient_failure_counts_each_message_retried(world: World) -> None:
    calls = {"n": 0}

    def flaky(session: Session, envelope: Envelope) -> None:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise TransientError("the database blinked")
    world.processor(flaky).process(deliveries({}))
    assert world.counted("retried") == 2
    assert world.counted("handled") == 1
    assert world.counted("failed") == 0


@dataclass
class Published:
    messages: list[OutgoingMessage] = field(default_factory=list)

    def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float = 30.0) -> None:
        self.messages.extend(messages)


def test_the_relay_counts_the_events_it_published_by_service(world: World) -> None:
    service = f"unit{uuid.uuid4().hex[:6]}"
    with world.db.transaction() as session:
        Outbox(world.outbox, service).record_many(session, "thing.happened", [{"n": n} for n in range(3)])
    before = REGISTRY.get_sample_value("realname_events_relayed_total", {"service": service}) or 0.0
    relay = Relay(world.db, world.outbox, Published(), f"t1.{service}.events", sole=True)
    assert relay.relay_once() == 3
    assert relay.relay_once() == 0
    assert REGISTRY.get_sample_value("realname_events_relayed_total", {"service": service}) == before + 3


def scrape(*collectors: Any) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    text = render_metrics(collectors).get_data(as_text=True)
    return {family.name: {tuple(sorted(s.labels.items())): s.value for s in family.samples}
            for family in text_string_to_metric_families(text)}


def test_gauges_read_the_outbox_lag_the_dead_letters_and_a_services_own_figures_at_scrape_time(world: World) -> None:
    def effects(session: Session) -> float:
        return float(session.scalar(select(func.count()).select_from(world.effects)) or 0)
    waiting = Gauge("realname_unit_effects", "Effects written", effects)
    gauges = ServiceGauges([GaugedService("unit", world.db, world.outbox, [waiting])],
                           lambda: {"t1.unit.things.dead": 4})
    assert scrape(gauges)["realname_outbox_lag_seconds"] == {(("service", "unit"),): 0.0}
    with world.db.transaction() as session:
        Outbox(world.outbox, "unit").record(session, "thing.happened", {})
        session.execute(insert(world.effects).values(message_id="m1"))
    time.sleep(0.05)
    figures = scrape(gauges)
    assert figures["realname_outbox_lag_seconds"][(("service", "unit"),)] > 0.0
    assert figures["realname_dead_letters"] == {(("queue", "t1.unit.things.dead"),): 4.0}
    assert figures["realname_unit_effects"] == {(): 1.0}


def test_a_gauge_that_cannot_be_read_is_left_out_and_the_scrape_still_answers(world: World, tmp_path: Path) -> None:
    def broker_away() -> dict[str, int]:
        raise ConnectionRefusedError("no broker")
    without_tables = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        figures = scrape(ServiceGauges([GaugedService("unit", without_tables, world.outbox)], broker_away))
    finally:
        without_tables.dispose()
    assert figures["realname_outbox_lag_seconds"] == {}
    assert figures["realname_dead_letters"] == {}


def test_all_in_one_dead_letters_are_counted_by_queue(world: World, tmp_path: Path) -> None:
    topology = Topology("t1.")
    bus = InProcessBus(topology, tmp_path / "dead-letters.jsonl")
    bus.register([(None, world.processor(recorder(world)))])  # type: ignore[list-item]
    assert bus.dead_letter_depths() == {f"{world.queue}.dead": 0}
    for body in (b"not json", b"[]"):
        bus._dead_letter(world.queue, body, "malformed_envelope")
    assert bus.dead_letter_depths() == {f"{world.queue}.dead": 2}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_all_in_one_readiness_names_a_bus_thread_that_stopped_going_round() -> None:
    clock = Clock()
    beats = Heartbeats(clock)
    relay, waiting = beats.beater("registry-relay"), beats.beater("bus-waiting")
    checks = readiness_checks("registry", lambda: None, None, Topology(), beats)
    assert checks == {"database": "ok", "broker": "ok", "bus": "ok"}
    clock.now += STALE_AFTER + 1
    relay()
    checks = readiness_checks("registry", lambda: None, None, Topology(), beats)
    assert checks["bus"] == f"stale: bus-waiting has not gone round for {STALE_AFTER:g} s"
    waiting()
    assert readiness_checks("registry", lambda: None, None, Topology(), beats)["bus"] == "ok"


def test_a_lone_service_app_without_bus_threads_is_ready_on_its_database() -> None:
    checks = readiness_checks("registry", lambda: None, None, Topology(), Heartbeats())
    assert checks == {"database": "ok", "broker": "ok"}


def test_the_platform_readiness_is_fetched_once_for_many_callers_and_again_after_it_expires() -> None:
    clock, fetched, gate = Clock(), [], threading.Event()

    def fetch() -> tuple[dict[str, Any], int]:
        gate.wait(5)
        fetched.append(clock.now)
        return {"status": "ready", "n": len(fetched)}, 200
    cached = CachedReadiness(fetch, ttl=2.0, clock=clock)
    answers: list[tuple[dict[str, Any], int]] = []
    callers = [threading.Thread(target=lambda: answers.append(cached.get())) for _ in range(20)]
    for caller in callers:
        caller.start()
    time.sleep(0.1)
    gate.set()
    for caller in callers:
        caller.join(5)
    assert len(fetched) == 1
    assert answers == [({"status": "ready", "n": 1}, 200)] * 20
    clock.now += 1.0
    assert cached.get()[0]["n"] == 1
    clock.now += 1.5
    assert cached.get()[0]["n"] == 2


def outage_app(error: Exception) -> Any:
    app = Flask("outage")

    @app.get("/register")
    def register() -> Any:
        raise error
    install_problem_handlers(app)
    install_outage_handlers(app)
    return app.test_client()


@pytest.mark.parametrize("error", [
    OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly")),
    DBAPIError("SELECT 1", {}, Exception("terminating connection"), connection_invalidated=True),
    ConnectionRefusedError("broker refused"),
], ids=["database_down", "connection_invalidated", "connection_refused"])
def test_an_outage_answers_503_with_retry_after_in_chinese_and_english(error: Exception) -> None:
    answer = outage_app(error).get("/register")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.json["reason"] == "unavailable"
    assert "again in 5 seconds" in answer.json["detail"]
    assert "5 秒后重新提交" in answer.json["message_zh"]


def test_a_database_error_that_is_no_outage_stays_a_500() -> None:
    answer = outage_app(DBAPIError("SELECT", {}, Exception("syntax error"))).get("/register")
    assert answer.status_code == 500
    assert answer.json["reason"] == "internal_error"
    assert "Retry-After" not in answer.headers
