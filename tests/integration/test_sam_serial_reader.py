"""The SAM serial driver against an emulated reader on a pseudo-terminal: reads, and says why a read failed (R2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from realname_codes.id_numbers import make_id_number
from realname_edge.card import CardRecord
from realname_edge.drivers.base import drivers_by_name
from realname_edge.drivers.sam_serial import SamSerialDriver, list_serial_ports
from realname_edge.errors import (
    CardUnreadable,
    FrameCorrupt,
    NoCard,
    ReaderDisconnected,
    ReaderNotFound,
    UnsupportedModel,
)
from realname_edge.sam.frames import FIND_CARD, READ_BASE_MESSAGE, SELECT_CARD
from realname_edge.sam.status import CHECKSUM_ERROR, READ_FAILED
from tests.support.sam_reader import Fault, SamReaderEmulator

BORN = date(1986, 2, 27)
CARD = CardRecord(name="巴特尔·样本", sex="male", ethnicity="02", birth_date=BORN,
                  address="内蒙古呼和浩特市新城区样本路10号", id_number=make_id_number("150102", BORN, 57),
                  issuing_authority="呼和浩特市公安局新城区分局", valid_from=date(2016, 10, 8), valid_to=None,
                  photo=bytes(range(256)) * 4, card_serial="0102030405060708")


@pytest.fixture
def reader() -> Iterator[SamReaderEmulator]:
    with SamReaderEmulator(CARD) as emulator:
        yield emulator


@pytest.fixture
def driver(reader: SamReaderEmulator) -> Iterator[SamSerialDriver]:
    # Short waits: an emulated reader answers in microseconds, so a third of a second is silence.
    driver = SamSerialDriver(reader.port, response_timeout=0.3, poll_interval=0.02)
    driver.open()
    yield driver
    driver.close()


def test_a_card_on_the_reader_is_read_whole(driver: SamSerialDriver) -> None:
    assert driver.read_card(timeout=1) == CARD


def test_a_card_put_down_while_the_driver_waits_is_read(reader: SamReaderEmulator, driver: SamSerialDriver) -> None:
    reader.card = None
    threading.Timer(0.2, lambda: setattr(reader, "card", CARD)).start()
    assert driver.read_card(timeout=3) == CARD
    assert reader.commands(FIND_CARD) > 1


def test_no_card_within_the_timeout_is_no_card(reader: SamReaderEmulator, driver: SamSerialDriver) -> None:
    reader.card = None
    started = time.monotonic()
    with pytest.raises(NoCard, match=r"within 0\.3 s"):
        driver.read_card(timeout=0.3)
    assert 0.25 < time.monotonic() - started < 1


def test_a_reader_that_reports_zeros_for_the_serial_gives_none(reader: SamReaderEmulator,
                                                               driver: SamSerialDriver) -> None:
    reader.card = replace(CARD, card_serial=None)
    assert driver.read_card(timeout=1).card_serial is None


def test_a_card_the_reader_fails_to_read_is_unreadable(reader: SamReaderEmulator, driver: SamSerialDriver) -> None:
    reader.inject(Fault.STATUS, command=READ_BASE_MESSAGE, status_code=READ_FAILED)
    with pytest.raises(CardUnreadable, match="00 00 41"):
        driver.read_card(timeout=1)


@pytest.mark.parametrize("fault", [Fault.CORRUPT_CHECKSUM, Fault.WRONG_LENGTH])
def test_one_damaged_answer_is_asked_for_again_and_the_read_succeeds(reader: SamReaderEmulator,
                                                                     driver: SamSerialDriver, fault: Fault) -> None:
    reader.inject(fault, command=READ_BASE_MESSAGE)
    assert driver.read_card(timeout=1) == CARD
    assert reader.commands(READ_BASE_MESSAGE) == 2


@pytest.mark.parametrize("fault", [Fault.CORRUPT_CHECKSUM, Fault.WRONG_LENGTH])
def test_two_damaged_answers_in_a_row_are_frame_corrupt(reader: SamReaderEmulator, driver: SamSerialDriver,
                                                        fault: Fault) -> None:
    reader.inject(fault, times=2, command=SELECT_CARD)
    with pytest.raises(FrameCorrupt) as caught:
        driver.read_card(timeout=1)
    assert caught.value.reason == "frame_corrupt"


def test_a_request_the_reader_received_damaged_is_sent_again(reader: SamReaderEmulator,
                                                             driver: SamSerialDriver) -> None:
    reader.inject(Fault.STATUS, command=FIND_CARD, status_code=CHECKSUM_ERROR)
    assert driver.read_card(timeout=1) == CARD


def test_a_reader_unplugged_mid_read_is_reader_disconnected(reader: SamReaderEmulator,
                                                            driver: SamSerialDriver) -> None:
    reader.inject(Fault.UNPLUG, command=READ_BASE_MESSAGE)
    with pytest.raises(ReaderDisconnected) as caught:
        driver.read_card(timeout=1)
    assert reader.unplugged.is_set()
    assert caught.value.message_zh.startswith("读卡过程中读卡器连接中断")


def test_a_reader_that_falls_silent_mid_read_is_reader_disconnected(reader: SamReaderEmulator,
                                                                    driver: SamSerialDriver) -> None:
    reader.inject(Fault.SILENT, command=READ_BASE_MESSAGE)
    with pytest.raises(ReaderDisconnected, match="stopped answering"):
        driver.read_card(timeout=1)


def test_a_port_that_does_not_exist_is_reader_not_found(tmp_path: Path) -> None:
    with pytest.raises(ReaderNotFound) as caught:
        SamSerialDriver(str(tmp_path / "ttyUSB7")).open()
    assert "ttyUSB7" in caught.value.message


def test_a_port_where_nothing_answers_is_reader_not_found(reader: SamReaderEmulator) -> None:
    reader.inject(Fault.SILENT)
    with pytest.raises(ReaderNotFound, match="nothing answers"):
        SamSerialDriver(reader.port, response_timeout=0.2).open()


def test_a_device_that_answers_garbage_is_an_unsupported_model(reader: SamReaderEmulator) -> None:
    reader.inject(Fault.GARBAGE)
    with pytest.raises(UnsupportedModel, match="not SAM frames"):
        SamSerialDriver(reader.port, response_timeout=0.2).open()


def test_a_device_that_does_not_know_the_commands_is_an_unsupported_model(reader: SamReaderEmulator) -> None:
    reader.inject(Fault.UNSUPPORTED)
    with pytest.raises(UnsupportedModel, match="00 00 21"):
        SamSerialDriver(reader.port, response_timeout=0.2).open()


def test_the_driver_describes_its_port_and_the_reader_s_security_module(reader: SamReaderEmulator,
                                                                        driver: SamSerialDriver) -> None:
    assert reader.port in driver.describe() and "SAM 0501" in driver.describe()


def test_the_registry_builds_the_serial_driver_for_a_port(reader: SamReaderEmulator) -> None:
    driver = drivers_by_name()["sam-serial"](reader.port)
    driver.open()
    try:
        assert driver.read_card(timeout=1) == CARD
    finally:
        driver.close()


def test_serial_ports_are_listed_without_error() -> None:
    assert all(port.device for port in list_serial_ports())
