"""The PC/SC driver against a real pcscd: vpcd's virtual reader, and our card emulator put on it and taken off."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import NoReturn

import pytest
from smartcard.CardMonitoring import CardMonitoringThread
from smartcard.scard import SCardCancel

from realname_codes.id_numbers import make_id_number
from realname_edge.card import CardRecord
from realname_edge.drivers.base import drivers_by_name
from realname_edge.drivers.pcsc import REMOVED, PcscDriver, list_pcsc_readers
from realname_edge.errors import CardUnreadable, NoCard, ReaderNotFound, UnsupportedModel
from tests.support.vpcd_card import READER, VPCD_PORT, VpcdCard

OTHER_READER = "Virtual PCD 00 01"  # vpcd's second slot, on the next port
BORN = date(1986, 2, 27)
CARD = CardRecord(name="巴特尔·样本", sex="male", ethnicity="02", birth_date=BORN,
                  address="内蒙古呼和浩特市新城区样本路10号", id_number=make_id_number("150102", BORN, 57),
                  issuing_authority="呼和浩特市公安局新城区分局", valid_from=date(2016, 10, 8), valid_to=None,
                  photo=bytes(range(256)) * 4, card_serial="0102030405060708")
BORN_2 = date(1994, 7, 19)
OTHER_CARD = CardRecord(name="李样本", sex="female", ethnicity="01", birth_date=BORN_2,
                        address="广东省广州市天河区样本大道200号", id_number=make_id_number("440106", BORN_2, 382),
                        issuing_authority="广州市公安局天河区分局", valid_from=date(2019, 3, 2),
                        valid_to=date(2029, 3, 2), photo=bytes(reversed(range(256))) * 4,
                        card_serial="E00401509A3C7B21")


def _unavailable(reason: str) -> NoReturn:
    # Never a skip: `./realname test` installs pcscd and vpcd and starts pcscd (deploy/setup/machine.sh).
    pytest.fail(f"{reason}. Run the tests with ./realname test (it sets pcscd and vpcd up), or run "
                "deploy/setup/machine.sh --pcscd once", pytrace=False)


def _readers_within(seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            names = list_pcsc_readers()
        except ReaderNotFound:
            names = []
        if READER in names or time.monotonic() > deadline:
            return names
        time.sleep(0.1)


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """pcscd with vpcd's readers: the running one, or one started here (and stopped afterwards)."""
    server: subprocess.Popen[bytes] | None = None
    log = tmp_path_factory.mktemp("pcscd") / "pcscd.log"
    try:
        names = list_pcsc_readers()
    except ReaderNotFound:
        executable = shutil.which("pcscd")
        if executable is None:
            _unavailable("pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)")
        with log.open("wb") as output:
            server = subprocess.Popen([executable, "-f"], stdout=output, stderr=subprocess.STDOUT)
        # Even when ours exits at once, another pcscd that was starting meanwhile may serve.
        names = _readers_within(15)
    try:
        if READER not in names:
            exited = server is not None and server.poll() is not None
            tail = f"; pcscd -f exited: {log.read_text(errors='replace')[-2000:]}" if exited else ""
            _unavailable(f"pcscd shows no {READER!r} (readers: {names}): install vsmartcard-vpcd, then "
                         f"restart pcscd{tail}")
        yield names
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=15)


@pytest.fixture
def driver(pcscd: list[str]) -> Iterator[PcscDriver]:
    driver = PcscDriver(READER)
    driver.open()
    yield driver
    driver.close()


def test_the_virtual_reader_is_listed(pcscd: list[str]) -> None:
    assert READER in list_pcsc_readers()


def test_a_card_put_on_the_reader_is_read_whole_with_its_serial(driver: PcscDriver) -> None:
    with VpcdCard(CARD) as card:
        assert driver.read_card(timeout=10) == CARD
    assert [bytes.fromhex("FFCA000000"), bytes.fromhex("00A4040009A0000006324944434E")] == card.apdus[:2]


def test_a_card_put_on_while_the_driver_waits_is_read(driver: PcscDriver) -> None:
    card = VpcdCard(CARD)
    putting_on = threading.Timer(0.3, card.insert)
    putting_on.start()
    try:
        assert driver.read_card(timeout=15) == CARD
    finally:
        putting_on.join()
        card.remove()


def test_a_card_lying_on_the_reader_when_the_driver_opens_is_read(pcscd: list[str]) -> None:
    with VpcdCard(CARD):
        driver = PcscDriver(READER)
        driver.open()
        try:
            assert driver.read_card(timeout=10) == CARD
        finally:
            driver.close()


def test_a_card_left_on_the_reader_is_read_only_once(driver: PcscDriver) -> None:
    with VpcdCard(CARD):
        assert driver.read_card(timeout=10) == CARD
        with pytest.raises(NoCard):
            driver.read_card(timeout=0.5)


def test_no_card_within_the_timeout_is_no_card(driver: PcscDriver) -> None:
    started = time.monotonic()
    with pytest.raises(NoCard, match=rf"{READER} within 0\.5 s"):
        driver.read_card(timeout=0.5)
    assert 0.45 < time.monotonic() - started < 3


def test_after_a_card_is_taken_off_the_next_card_put_on_is_read(driver: PcscDriver) -> None:
    with VpcdCard(CARD):
        assert driver.read_card(timeout=10) == CARD
    with VpcdCard(OTHER_CARD):
        assert driver.read_card(timeout=10) == OTHER_CARD


def test_a_card_taken_off_mid_read_is_unreadable_and_the_next_card_reads_fine(driver: PcscDriver) -> None:
    # GET UID, SELECT and one READ BINARY are answered; the card is gone when the second READ BINARY comes.
    with VpcdCard(CARD, remove_after=3) as card, pytest.raises(CardUnreadable, match=REMOVED):
        driver.read_card(timeout=10)
    assert card.removed.is_set()
    assert len(card.apdus) == 4
    with VpcdCard(OTHER_CARD):
        assert driver.read_card(timeout=10) == OTHER_CARD


def test_a_card_whose_reader_gives_only_its_serial_is_an_unsupported_model_naming_the_serial(
        driver: PcscDriver) -> None:
    with VpcdCard(CARD, identity_application=False), \
            pytest.raises(UnsupportedModel, match="does not expose the identity application") as caught:
        driver.read_card(timeout=10)
    assert CARD.card_serial is not None
    assert CARD.card_serial in caught.value.detail
    assert "6A82" in caught.value.detail


def test_a_card_that_gives_no_uid_is_read_without_a_serial(driver: PcscDriver) -> None:
    with VpcdCard(replace(CARD, card_serial=None)):
        assert driver.read_card(timeout=10) == replace(CARD, card_serial=None)


def test_a_card_on_another_reader_is_left_to_that_readers_driver(driver: PcscDriver) -> None:
    if OTHER_READER not in list_pcsc_readers():
        _unavailable(f"vpcd shows no {OTHER_READER!r}")
    other = PcscDriver(OTHER_READER)
    other.open()
    try:
        with VpcdCard(OTHER_CARD, reader=OTHER_READER, port=VPCD_PORT + 1):
            with pytest.raises(NoCard):
                driver.read_card(timeout=1)
            assert other.read_card(timeout=10) == OTHER_CARD
    finally:
        other.close()


def test_a_read_starts_the_card_monitor_again_when_it_has_ended(driver: PcscDriver) -> None:
    # pyscard's monitor thread ends for good when pcscd goes away; here it is ended the way that does.
    monitor = CardMonitoringThread.instance
    monitor.stop()
    deadline = time.monotonic() + 5
    while monitor.is_alive() and time.monotonic() < deadline:
        if monitor.cardrequest is not None:
            SCardCancel(monitor.cardrequest.pcsccardrequest.hcontext)
        monitor.join(0.05)
    assert not monitor.is_alive()
    with VpcdCard(CARD):
        assert driver.read_card(timeout=10) == CARD
    assert CardMonitoringThread.instance is not monitor


def test_a_reader_name_matching_no_reader_is_not_found_and_the_readers_are_named(pcscd: list[str]) -> None:
    with pytest.raises(ReaderNotFound, match=f"'Reader 9 of 8'; pcscd knows .*{READER}"):
        PcscDriver("Reader 9 of 8").open()


def test_an_empty_target_takes_the_first_reader(pcscd: list[str]) -> None:
    driver = PcscDriver("")
    driver.open()
    try:
        assert driver.reader == list_pcsc_readers()[0]
        assert driver.reader is not None
        assert driver.reader in driver.describe()
    finally:
        driver.close()


def test_without_pcscd_the_reader_is_not_found_saying_pcscd_is_not_running(tmp_path: Path) -> None:
    # The PC/SC library finds pcscd through this socket; pointing it elsewhere is pcscd not running.
    script = ("from realname_edge.drivers.pcsc import PcscDriver, list_pcsc_readers\n"
              "from realname_edge.errors import ReaderNotFound\n"
              "for attempt in (list_pcsc_readers, PcscDriver('').open):\n"
              "    try:\n"
              "        attempt()\n"
              "    except ReaderNotFound as exc:\n"
              "        print(exc.detail)\n")
    env = os.environ | {"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
                            check=True)
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all("pcscd is not running" in line and "0x8010001D" in line for line in lines)


def test_closing_every_driver_leaves_no_thread_behind(pcscd: list[str]) -> None:
    before = set(threading.enumerate())
    first, second = PcscDriver(READER), PcscDriver(READER)
    first.open()
    second.open()
    with VpcdCard(CARD):
        assert first.read_card(timeout=10) == CARD
        first.close()
        assert second.read_card(timeout=10) == CARD  # the monitor still runs for the driver left open
    second.close()
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert set(threading.enumerate()) - before == set()


def test_the_pcsc_driver_is_chosen_by_name() -> None:
    driver = drivers_by_name()["pcsc"](READER)
    assert isinstance(driver, PcscDriver)
    assert driver.target == READER
