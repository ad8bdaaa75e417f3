"""The doctor names what is wrong with the reader, the card or the broker, in English and Chinese (R2)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pika.exceptions
import pytest
from pika.adapters.utils.connection_workflow import AMQPConnectorStackTimeout

from realname_codes.card_seal import new_seal_key
from realname_edge.card import CardRecord
from realname_edge.config import EdgeConfig
from realname_edge.doctor import (
    BROKER_TIMEOUT,
    CheckResult,
    Probes,
    SerialPort,
    broker_parameters,
    check_broker,
    check_pcsc,
    check_read,
    check_serial_ports,
    ready_to_run,
    render_json,
    render_text,
    run_doctor,
)
from realname_edge.errors import (
    CardUnreadable,
    NoCard,
    ReaderDisconnected,
    ReaderNotFound,
    UnsupportedModel,
)
from tests.support.cards import SAMPLE_BORN, SAMPLE_CARD

BORN, CARD = SAMPLE_BORN, SAMPLE_CARD
URL = "amqp://employer-7:s3cret-pw@broker.example:5672/edge"
CONFIG = EdgeConfig(driver="simulator", target="", amqp_url=URL, seal_key=new_seal_key(), employer_id="employer-7",
                    exchange="edge.events",
                    spool_path=Path("spool.sqlite"), read_timeout=5, retry_seconds=10)


class FakeReader:
    def __init__(self, on_open: Exception | None = None, on_read: CardRecord | Exception = CARD) -> None:
        self.on_open, self.on_read = on_open, on_read
        self.closed = False
        self.timeout: float | None = None

    def open(self) -> None:
        if self.on_open is not None:
            raise self.on_open

    def close(self) -> None:
        self.closed = True

    def read_card(self, timeout: float) -> CardRecord:
        self.timeout = timeout
        if isinstance(self.on_read, Exception):
            raise self.on_read
        return self.on_read

    def describe(self) -> str:
        return "fake reader at COM3"


class FakeChannel:
    def __init__(self, declare_fails_with: Exception | None) -> None:
        self.declared: list[tuple[str, bool]] = []
        self.published: list[Any] = []
        self._fails_with = declare_fails_with

    def exchange_declare(self, exchange: str, passive: bool = False) -> None:
        self.declared.append((exchange, passive))
        if self._fails_with is not None:
            raise self._fails_with

    def basic_publish(self, *args: Any, **kwargs: Any) -> None:
        self.published.append(args)


class FakeBroker:
    """Stands in for ``pika.BlockingConnection``: refuses to connect, or hands out one channel."""

    def __init__(self, connect_fails_with: Exception | None = None,
                 declare_fails_with: Exception | None = None) -> None:
        self.connect_fails_with = connect_fails_with
        self.channel_ = FakeChannel(declare_fails_with)
        self.parameters: Any = None
        self.closed = False

    def __call__(self, parameters: Any) -> FakeBroker:
        self.parameters = parameters
        if self.connect_fails_with is not None:
            raise self.connect_fails_with
        return self

    def channel(self) -> FakeChannel:
        return self.channel_

    def close(self) -> None:
        self.closed = True


def _probes(ports: dict[str, Exception | None] | None = None, pcsc: Sequence[str] | Exception = (),
            reader: FakeReader | None = None, broker: FakeBroker | None = None) -> Probes:
    def pcsc_readers() -> Sequence[str]:
        if isinstance(pcsc, Exception):
            raise pcsc
        return pcsc

    return Probes(serial_ports=lambda: [SerialPort(device, "USB-Serial CH340") for device in ports or {}],
                  serial_probe=lambda device: FakeReader(on_open=(ports or {})[device]),
                  pcsc_readers=pcsc_readers, reader=lambda _config: reader or FakeReader(),
                  connect=broker or FakeBroker())


def test_each_serial_port_is_said_to_be_a_supported_reader_not_one_or_not_answering() -> None:
    ports: dict[str, Exception | None] = {
        "/dev/ttyUSB0": None, "/dev/ttyUSB1": UnsupportedModel("answered 40 bytes that are not SAM frames"),
        "/dev/ttyS0": ReaderNotFound("nothing answers at /dev/ttyS0")}
    probes = _probes(ports)

    results = check_serial_ports(probes.serial_ports, probes.serial_probe)

    assert [(r.check, r.ok, r.reason) for r in results] == [
        ("serial_port", True, "supported_reader"), ("serial_port", False, "unsupported_model"),
        ("serial_port", False, "reader_not_found")]
    assert "/dev/ttyUSB0 (USB-Serial CH340): supported reader" in results[0].message
    assert "not a supported reader" in results[1].message and "不是受支持的读卡器" in results[1].message_zh
    assert "not answering" in results[2].message and results[2].detail == "nothing answers at /dev/ttyS0"
    assert not any(r.required for r in results)  # other ports are information, not a reason to refuse to run


def test_a_port_whose_probe_fails_unexpectedly_is_reported_and_the_other_ports_still_probed() -> None:
    probes = _probes({"/dev/ttyACM0": OSError(5, "Input/output error"), "/dev/ttyUSB0": None})

    results = check_serial_ports(probes.serial_ports, probes.serial_probe)

    assert [(r.reason, r.ok) for r in results] == [("probe_failed", False), ("supported_reader", True)]
    assert "Input/output error" in results[0].message


def test_a_machine_without_serial_ports_is_told_to_plug_the_reader_in_or_install_its_driver() -> None:
    probes = _probes({})

    (result,) = check_serial_ports(probes.serial_ports, probes.serial_probe)

    assert (result.ok, result.reason, result.required) == (False, "no_serial_ports", False)
    assert "USB-serial driver" in result.message


@pytest.mark.parametrize("failure, why", [
    (ModuleNotFoundError("No module named 'smartcard'"), "ModuleNotFoundError: No module named 'smartcard'"),
    (ReaderNotFound("no PC/SC service: pcscd is not running"), "pcscd is not running"),
])
def test_pc_sc_that_cannot_be_used_is_one_finding_that_says_why(failure: Exception, why: str) -> None:
    (result,) = check_pcsc(_probes(pcsc=failure).pcsc_readers)

    assert (result.check, result.ok, result.reason) == ("pcsc", False, "pcsc_unavailable")
    assert result.message.startswith("PC/SC not available: ") and why in result.message


def test_each_pc_sc_reader_is_listed_by_name() -> None:
    results = check_pcsc(_probes(pcsc=["ACS ACR122U 00 00", "Virtual PCD 00 00"]).pcsc_readers)

    assert [(r.ok, r.reason, r.detail) for r in results] == [
        (True, "pcsc_reader_found", "ACS ACR122U 00 00"), (True, "pcsc_reader_found", "Virtual PCD 00 00")]


def test_a_card_read_by_the_doctor_is_shown_masked() -> None:
    reader = FakeReader()

    result = check_read(reader, timeout=3)

    assert (result.ok, result.reason, reader.timeout, reader.closed) == (True, "card_read", 3, True)
    assert CARD.id_number not in result.detail and "510104********" in result.detail


@pytest.mark.parametrize("reader, reason, required", [
    (FakeReader(on_open=ReaderNotFound("nothing answers at COM3")), "reader_not_found", True),
    (FakeReader(on_open=UnsupportedModel("answered garbage")), "unsupported_model", True),
    (FakeReader(on_read=ReaderDisconnected("stopped answering")), "reader_disconnected", True),
    (FakeReader(on_read=NoCard("no card presented within 5 s")), "no_card", False),
    (FakeReader(on_read=CardUnreadable("text record", field="address")), "card_unreadable", False),
    (FakeReader(on_open=ValueError("identity 3: missing 'name'")), "reader_failed", True),
])
def test_a_failed_read_is_named_by_its_reason_and_only_a_missing_card_does_not_block_run(
        reader: FakeReader, reason: str, required: bool) -> None:
    result = check_read(reader, timeout=1)

    assert (result.ok, result.reason, result.required, reader.closed) == (False, reason, required, True)
    assert result.message and result.message_zh and "fake reader at COM3" in result.detail


def test_a_broker_that_takes_the_account_and_has_the_exchange_is_ok() -> None:
    broker = FakeBroker()

    result = check_broker(URL, "edge.events", broker)

    assert (result.check, result.ok, result.reason) == ("broker", True, "broker_ok")
    assert broker.channel_.declared == [("edge.events", True)]  # passive: the doctor creates nothing
    assert broker.closed


@pytest.mark.parametrize("failure, reason", [
    (pika.exceptions.ProbableAuthenticationError("(403) ACCESS_REFUSED - Login was refused"), "credentials_refused"),
    (pika.exceptions.ProbableAccessDeniedError("(530) NOT_ALLOWED - vhost edge not found"), "credentials_refused"),
    (pika.exceptions.AMQPConnectionError("Connection refused"), "broker_unreachable"),
    (TimeoutError("timed out"), "broker_unreachable"),
    (ValueError("connection reset while opening"), "broker_unreachable"),
    (AMQPConnectorStackTimeout("Timeout during AMQP handshake"), "broker_unreachable"),  # not an AMQPError
])
def test_a_broker_that_cannot_be_logged_into_is_named_by_why(failure: Exception, reason: str) -> None:
    result = check_broker(URL, "edge.events", FakeBroker(connect_fails_with=failure))

    assert (result.ok, result.reason, result.required) == (False, reason, True)
    assert str(failure) in result.detail


@pytest.mark.parametrize("code, reason", [(404, "exchange_missing"), (403, "credentials_refused")])
def test_an_exchange_the_account_cannot_find_or_use_is_named(code: int, reason: str) -> None:
    broker = FakeBroker(declare_fails_with=pika.exceptions.ChannelClosedByBroker(code, "NOT_FOUND - no exchange"))

    result = check_broker(URL, "edge.events", broker)

    assert (result.ok, result.reason) == (False, reason)
    assert broker.closed


def test_the_broker_check_waits_a_bounded_time_and_shows_the_password_masked() -> None:
    broker = FakeBroker(connect_fails_with=pika.exceptions.AMQPConnectionError("refused"))

    result = check_broker(URL, "edge.events", broker)

    assert broker.parameters.connection_attempts == 1
    assert broker.parameters.socket_timeout == BROKER_TIMEOUT and broker.parameters.stack_timeout <= 2 * BROKER_TIMEOUT
    assert "s3cret-pw" not in result.detail and "employer-7:***@broker.example" in result.detail


def test_a_broker_that_never_finishes_answering_is_unreachable_once_the_doctors_deadline_passes() -> None:
    released = threading.Event()

    def frozen_broker(_parameters: Any) -> None:
        released.wait(30)
        raise pika.exceptions.AMQPHeartbeatTimeout("no heartbeat")

    started = time.monotonic()
    try:
        results = run_doctor(CONFIG, skip_read=True, probes=replace(_probes(), connect=frozen_broker),
                             broker_deadline=0.3)
    finally:
        released.set()

    assert (results[-1].check, results[-1].ok, results[-1].reason) == ("broker", False, "broker_unreachable")
    assert "no answer within 0.3 s" in results[-1].detail and time.monotonic() - started < 5


def test_broker_parameters_log_in_with_the_employers_account() -> None:
    params = broker_parameters(URL)

    assert (params.credentials.username, params.credentials.password, params.virtual_host) == (
        "employer-7", "s3cret-pw", "edge")


def test_a_healthy_set_up_is_ready_to_run_and_the_card_the_doctor_read_is_not_published() -> None:
    broker = FakeBroker()

    results = run_doctor(CONFIG, probes=_probes({"/dev/ttyS0": ReaderNotFound("x")}, broker=broker))

    assert [(r.check, r.ok) for r in results] == [("config", True), ("serial_port", False), ("pcsc", False),
                                                  ("read", True), ("broker", True)]
    assert ready_to_run(results)
    assert broker.channel_.published == []


def test_the_checks_come_in_a_fixed_order_and_skip_read_leaves_the_read_out() -> None:
    results = run_doctor(CONFIG, skip_read=True, probes=_probes({"/dev/ttyUSB0": None}, pcsc=["Virtual PCD 00 00"]))

    assert [r.check for r in results] == ["config", "serial_port", "pcsc_reader", "broker"]


def test_without_the_broker_account_the_doctor_still_looks_at_the_reader_but_is_not_ready() -> None:
    broker = FakeBroker()

    results = run_doctor(replace(CONFIG, amqp_url=""), probes=_probes(broker=broker))

    assert [(r.check, r.ok) for r in results if r.check in ("config", "read")] == [("config", False), ("read", True)]
    assert "REALNAME_EDGE_AMQP_URL" in results[0].message and "REALNAME_EDGE_AMQP_URL" in results[0].message_zh
    assert broker.parameters is None and not ready_to_run(results)


def test_no_card_on_the_reader_does_not_stop_the_doctor_from_calling_the_set_up_ready() -> None:
    results = run_doctor(CONFIG, probes=_probes(reader=FakeReader(on_read=NoCard("none within 5 s"))))

    assert any(r.reason == "no_card" for r in results) and ready_to_run(results)


def test_the_doctor_waits_for_a_card_no_longer_than_its_own_limit() -> None:
    reader = FakeReader()

    run_doctor(replace(CONFIG, read_timeout=120), probes=_probes(reader=reader))

    assert reader.timeout is not None and reader.timeout <= 10


def test_the_report_for_people_marks_each_finding_and_gives_both_languages() -> None:
    results = [CheckResult("read", False, "no_card", NoCard.advice, NoCard.advice_zh, "COM3", required=False),
               CheckResult("broker", False, "credentials_refused", "refused", "拒绝", "amqp://e:***@h/")]

    text = render_text(results)

    assert "[ -- ] read (no_card): " + NoCard.advice in text and NoCard.advice_zh in text
    assert "[FAIL] broker (credentials_refused): refused" in text and "拒绝" in text
    assert text.splitlines()[-1].startswith("Not ready")


def test_the_report_for_machines_is_json_with_every_field_and_never_the_password() -> None:
    results = run_doctor(CONFIG, probes=_probes(
        broker=FakeBroker(connect_fails_with=pika.exceptions.ProbableAuthenticationError("ACCESS_REFUSED"))))

    report = json.loads(render_json(results))

    assert report["ready"] is False
    assert set(report["checks"][0]) == {"check", "ok", "reason", "message", "message_zh", "detail", "required"}
    assert report["checks"][-1]["reason"] == "credentials_refused"
    assert "s3cret-pw" not in render_json(results) + render_text(results)
