"""``realname-edge run`` and ``doctor`` against real RabbitMQ, a cut network route and an emulated serial reader."""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pika
import pytest

from realname_codes.card_seal import CardSeal, new_seal_key
from realname_codes.id_numbers import make_id_number
from realname_edge.card import CardRecord
from realname_edge.config import EdgeConfig, load_config
from realname_edge.daemon import EdgeDaemon
from realname_edge.doctor import Probes, SerialPort, check_broker, check_read, run_doctor
from realname_edge.drivers.base import drivers_by_name
from realname_edge.drivers.simulator import SimulatorDriver
from realname_edge.errors import NoCard
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool
from realname_identity.reader_accounts import reader_permissions
from realname_kit.bus.broker_accounts import RabbitManagement
from realname_kit.bus.envelope import Envelope
from tests.support.faultproxy import FaultProxy
from tests.support.infra import amqp_url, free_port, unique_prefix
from tests.support.sam_reader import SamReaderEmulator

EMPLOYER = "employer-7"
KEY = new_seal_key()  # the reader account's sealing key
TODAY = date(2026, 1, 15)
WAIT = 30.0  # seconds; generous for a loaded machine, every wait polls
BORN = date(1986, 2, 27)
CARD = CardRecord(name="巴特尔·样本", sex="male", ethnicity="02", birth_date=BORN,
                  address="内蒙古呼和浩特市新城区样本路10号", id_number=make_id_number("150102", BORN, 57),
                  issuing_authority="呼和浩特市公安局新城区分局", valid_from=date(2016, 10, 8), valid_to=None,
                  photo=bytes(range(256)) * 4, card_serial="0102030405060708")


@dataclass
class Broker:
    """A durable topic exchange with a queue bound to ``card.read``, of this test's own; deleted afterwards."""

    channel: Any
    exchange: str
    queue: str
    received: list[tuple[Any, bytes]] = field(default_factory=list)

    def drain(self) -> list[tuple[Any, bytes]]:
        """Take what the queue holds now into ``received``; returns what was taken."""
        messages: list[tuple[Any, bytes]] = []
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.received += messages
                return messages
            messages.append((properties, body))

    def has_received(self, count: int) -> bool:
        self.drain()
        return len(self.received) >= count


@pytest.fixture
def broker() -> Iterator[Broker]:
    prefix = unique_prefix()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url()))
    found = Broker(connection.channel(), f"{prefix}.edge.events", f"{prefix}.identity.card-reads")
    found.channel.exchange_declare(found.exchange, exchange_type="topic", durable=True)
    found.channel.queue_declare(found.queue, durable=True)
    found.channel.queue_bind(found.queue, found.exchange, routing_key="card.read")
    try:
        yield found
    finally:
        found.channel.queue_delete(found.queue)
        found.channel.exchange_delete(found.exchange)
        connection.close()


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[CardSpool]:
    with CardSpool(tmp_path / "spool.sqlite") as s:
        yield s


def url_with(*, port: int | None = None, user: str | None = None, password: str | None = None) -> str:
    parts = urlsplit(amqp_url())
    host = f"{parts.hostname}:{port or parts.port or 5672}"
    login = f"{quote(user or parts.username or '', safe='')}:{quote(password or parts.password or '', safe='')}@"
    return urlunsplit((parts.scheme, login + host, parts.path, parts.query, ""))


@pytest.fixture
def reader_account(broker: Broker) -> Iterator[tuple[str, str]]:
    """An employer's reader account made as the identity service makes them: it may only publish card.read."""
    management = RabbitManagement.for_amqp(amqp_url())
    username, password = f"{broker.exchange}.reader", secrets.token_urlsafe(16)
    management.create(username, password, reader_permissions(broker.exchange))
    try:
        yield username, url_with(user=username, password=password)
    finally:
        management.remove(username)


def edge_config(exchange: str, url: str, **env: str) -> EdgeConfig:
    return load_config({"REALNAME_EDGE_AMQP_URL": url, "REALNAME_EDGE_EMPLOYER_ID": EMPLOYER,
                        "REALNAME_EDGE_SEAL_KEY": KEY, "REALNAME_EDGE_EXCHANGE": exchange,
                        "REALNAME_EDGE_READ_TIMEOUT": "0.5", **env})


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT:g} s for {what}"
        time.sleep(0.05)


class Running:
    """An EdgeDaemon on a thread of its own, stopped (and checked to have stopped) on exit."""

    def __init__(self, daemon: EdgeDaemon) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=daemon.run, args=(self.stop,), name="edge-daemon")

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


class CardsThenNone:
    """The simulator, with a given number of cards to hand over; after them, the reader stays empty."""

    def __init__(self, cards: int) -> None:
        self._simulator = SimulatorDriver(today=lambda: TODAY)
        self._left = cards

    def open(self) -> None:
        self._simulator.open()

    def close(self) -> None:
        self._simulator.close()

    def read_card(self, timeout: float) -> CardRecord:
        if self._left == 0:
            time.sleep(timeout)
            raise NoCard("all cards were read")
        self._left -= 1
        return self._simulator.read_card(timeout)

    def describe(self) -> str:
        return self._simulator.describe()


def test_the_daemon_publishes_each_simulated_read_as_a_card_read_envelope_of_its_employer(
        broker: Broker, spool: CardSpool) -> None:
    config = edge_config(broker.exchange, amqp_url())
    expected = SimulatorDriver(today=lambda: TODAY)
    expected.open()
    publisher = CardReadPublisher(config.amqp_url, config.exchange, config.employer_id, spool,
                                  seal_key=config.seal_key)
    daemon = EdgeDaemon(config, SimulatorDriver(today=lambda: TODAY), publisher, pause_between_cards=0.05)

    with Running(daemon):
        eventually(lambda: broker.has_received(5), "five card reads")

    broker.drain()
    envelopes = [Envelope.from_json(body) for _, body in broker.received]
    assert [(e.type, e.source, e.version) for e in envelopes[:5]] == [("card.read", "edge-reader", 1)] * 5
    assert [properties.message_id for properties, _ in broker.received] == [e.id for e in envelopes]
    assert len({e.id for e in envelopes}) == len(envelopes)
    assert all(e.data["employer_id"] == EMPLOYER and e.data["read_id"] == e.id for e in envelopes)
    seal = CardSeal(KEY, urlsplit(amqp_url()).username or "")
    assert all(set(e.data) == {"employer_id", "read_id", "sealed_card"} for e in envelopes)  # the card sealed
    opened = [CardRecord.from_event(seal.open(e.id, e.data)) for e in envelopes[:5]]
    assert opened == [expected.read_card(1) for _ in range(5)]
    assert spool.count() == 0


def test_with_the_employers_own_reader_account_reads_arrive_signed_by_it_and_the_password_is_never_logged(
        broker: Broker, spool: CardSpool, reader_account: tuple[str, str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    username, url = reader_account
    password = urlsplit(url).password or ""
    config = edge_config(broker.exchange, url)
    assert check_broker(config.amqp_url, config.exchange).reason == "broker_ok"  # passive: no configure right needed
    publisher = CardReadPublisher(config.amqp_url, config.exchange, config.employer_id, spool,
                                  seal_key=config.seal_key)

    with Running(EdgeDaemon(config, CardsThenNone(2), publisher, pause_between_cards=0.02)):
        eventually(lambda: broker.has_received(2), "two reads sent with the reader account")

    assert [properties.user_id for properties, _ in broker.received] == [username, username]
    assert all(Envelope.from_json(body).data["employer_id"] == EMPLOYER for _, body in broker.received)
    assert password not in caplog.text and password not in repr(config)


def test_reads_made_while_the_route_to_the_broker_is_cut_are_spooled_and_arrive_when_it_returns(
        broker: Broker, spool: CardSpool) -> None:
    with FaultProxy(urlsplit(amqp_url()).hostname or "127.0.0.1", urlsplit(amqp_url()).port or 5672) as proxy:
        config = edge_config(broker.exchange, url_with(port=proxy.port), REALNAME_EDGE_RETRY_SECONDS="0.3")
        publisher = CardReadPublisher(config.amqp_url, config.exchange, config.employer_id, spool,
                                      seal_key=config.seal_key, confirm_timeout=2)
        daemon = EdgeDaemon(config, CardsThenNone(5), publisher, pause_between_cards=0.02)
        proxy.refuse(True)
        with Running(daemon) as running:
            eventually(lambda: spool.count() == 5, "five reads in the spool")
            assert broker.drain() == [] and running.thread.is_alive()

            proxy.refuse(False)  # no card is read from now on: only the backlog re-send can deliver them
            eventually(lambda: broker.has_received(5) and spool.count() == 0, "the spooled reads at the broker")

    assert len({properties.message_id for properties, _ in broker.received}) == 5


def test_the_doctor_names_a_refused_password(broker: Broker) -> None:
    result = check_broker(url_with(password="not-the-password"), broker.exchange)

    assert (result.ok, result.reason) == (False, "credentials_refused")
    assert "not-the-password" not in result.detail


def test_the_doctor_names_a_broker_that_does_not_answer_quickly() -> None:
    started = time.monotonic()

    result = check_broker(url_with(port=free_port()), "edge.events")

    assert (result.ok, result.reason) == (False, "broker_unreachable")
    assert time.monotonic() - started < 10


def test_the_doctor_names_a_broker_that_accepts_the_connection_but_never_answers() -> None:
    parts = urlsplit(amqp_url())
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 5672) as proxy:
        proxy.hold_downstream(True)
        started = time.monotonic()

        result = check_broker(url_with(port=proxy.port), "edge.events")

    assert (result.ok, result.reason) == (False, "broker_unreachable")
    assert time.monotonic() - started < 12


def test_the_doctor_names_an_exchange_the_broker_does_not_have(broker: Broker) -> None:
    result = check_broker(amqp_url(), broker.exchange + ".absent")

    assert (result.ok, result.reason) == (False, "exchange_missing")


def test_the_doctor_finds_the_broker_and_exchange_in_order(broker: Broker) -> None:
    assert check_broker(amqp_url(), broker.exchange).reason == "broker_ok"


def test_the_doctor_says_a_supported_reader_answers_at_the_serial_port_and_there_is_no_card(broker: Broker) -> None:
    with SamReaderEmulator(None) as reader:
        config = edge_config(broker.exchange, amqp_url(), REALNAME_EDGE_DRIVER="sam-serial",
                             REALNAME_EDGE_TARGET=reader.port)

        results = {r.check: r for r in run_doctor(config, probes=Probes(
            serial_ports=lambda: [SerialPort(reader.port, "pseudo-terminal")]))}

    assert (results["serial_port"].ok, results["serial_port"].reason) == (True, "supported_reader")
    assert "supported reader" in results["serial_port"].message and "SAM 0501" in results["serial_port"].detail
    assert (results["read"].ok, results["read"].reason) == (False, "no_card")
    assert results["broker"].reason == "broker_ok"


def test_the_doctor_reads_a_card_on_the_serial_reader_without_publishing_it(broker: Broker) -> None:
    with SamReaderEmulator(CARD) as reader:
        result = check_read(drivers_by_name()["sam-serial"](reader.port), timeout=2)

    assert (result.ok, result.reason) == (True, "card_read")
    assert CARD.id_number not in result.detail and CARD.id_number[-4:] in result.detail
    assert broker.drain() == []


def _command(name: str) -> str:
    command = Path(sys.executable).parent / name
    assert command.exists(), f"{command} is not installed: run `uv sync`"
    return str(command)


def _environment(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REALNAME_EDGE_")}
    return env | settings


def test_the_doctor_command_reports_json_and_exits_0_when_run_can_start(broker: Broker) -> None:
    env = _environment(REALNAME_EDGE_AMQP_URL=amqp_url(), REALNAME_EDGE_EMPLOYER_ID=EMPLOYER,
                       REALNAME_EDGE_SEAL_KEY=KEY, REALNAME_EDGE_EXCHANGE=broker.exchange,
                       REALNAME_EDGE_DRIVER="simulator")

    started = time.monotonic()
    done = subprocess.run([_command("realname-edge"), "doctor", "--json"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 20
    report = json.loads(done.stdout)
    reasons = {check["check"]: check["reason"] for check in report["checks"]}
    assert report["ready"] is True
    assert (reasons["config"], reasons["read"], reasons["broker"]) == ("config_complete", "card_read", "broker_ok")
    assert urlsplit(amqp_url()).netloc not in done.stdout  # the password is masked
    assert broker.drain() == []


def test_the_run_command_publishes_reads_and_stops_cleanly_on_sigterm(broker: Broker, tmp_path: Path) -> None:
    env = _environment(REALNAME_EDGE_AMQP_URL=amqp_url(), REALNAME_EDGE_EMPLOYER_ID=EMPLOYER,
                       REALNAME_EDGE_SEAL_KEY=KEY, REALNAME_EDGE_EXCHANGE=broker.exchange,
                       REALNAME_EDGE_SPOOL=str(tmp_path / "spool.sqlite"))
    log = tmp_path / "edge.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([_command("realname-edge"), "run"], env=env, stderr=stderr)
        try:
            eventually(lambda: broker.has_received(2), "two reads from realname-edge run")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=WAIT) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    text = log.read_text()
    assert "reader ready: simulator" in text and "realname-edge stopped" in text
    assert all(Envelope.from_json(body).data["employer_id"] == EMPLOYER for _, body in broker.received)
