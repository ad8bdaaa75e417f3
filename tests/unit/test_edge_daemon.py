"""The reader loop publishes every card, lives through every reader failure, and stops promptly when told."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from realname_codes.id_numbers import make_id_number
from realname_edge.card import CardRecord
from realname_edge.config import EdgeConfig
from realname_edge.daemon import Backoff, EdgeDaemon
from realname_edge.errors import (
    CardReaderError,
    CardUnreadable,
    FrameCorrupt,
    NoCard,
    ReaderDisconnected,
    ReaderNotFound,
    UnsupportedModel,
)
from tests.support.cards import SAMPLE_BORN, SAMPLE_CARD

BORN, CARD = SAMPLE_BORN, SAMPLE_CARD
OTHER = replace(CARD, name="李示例", sex="female", id_number=make_id_number("510104", BORN, 316))
CONFIG = EdgeConfig(driver="simulator", target="", amqp_url="amqp://employer-7:pw@broker/edge",
                    seal_key="", employer_id="employer-7", exchange="edge.events", spool_path=Path("spool.sqlite"),
                    read_timeout=0.05, retry_seconds=10)

Outcome = CardRecord | Exception


class Clock(threading.Event):
    """The stop event, which is also the daemon's clock: each wait is noted and passes at once."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        return self.is_set()


class ScriptedReader:
    """Opens and reads as scripted (None: the open works); when the reads run out it stops the daemon."""

    def __init__(self, stop: threading.Event, reads: list[Outcome], opens: list[Exception | None] | None = None):
        self.stop, self.reads, self.opens = stop, list(reads), list(opens or [])
        self.attempts = self.opened = self.closed = 0

    def open(self) -> None:
        self.attempts += 1
        outcome = self.opens.pop(0) if self.opens else None
        if outcome is not None:
            raise outcome
        self.opened += 1

    def close(self) -> None:
        self.closed += 1

    def read_card(self, timeout: float) -> CardRecord:
        if not self.reads:
            self.stop.set()
            raise NoCard("the script is over")
        outcome = self.reads.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def describe(self) -> str:
        return "scripted reader"


class RecordingPublisher:
    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.published: list[CardRecord] = []
        self.resends = 0
        self.closed = False
        self._failures = list(failures or [])

    def record_read(self, card: CardRecord) -> str:
        if self._failures:
            raise self._failures.pop(0)
        self.published.append(card)
        return f"read-{len(self.published)}"

    def publish_pending(self) -> int:
        self.resends += 1
        return 0

    def close(self) -> None:
        self.closed = True


def _run(reads: list[Outcome], opens: list[Exception | None] | None = None, *, pause: float = 0,
         publisher: RecordingPublisher | None = None) -> tuple[ScriptedReader, RecordingPublisher, Clock]:
    clock = Clock()
    reader, publisher = ScriptedReader(clock, reads, opens), publisher or RecordingPublisher()
    EdgeDaemon(CONFIG, reader, publisher, pause_between_cards=pause).run(clock)
    return reader, publisher, clock


def test_each_card_read_is_published_and_logged_with_its_number_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "realname_edge")

    _, publisher, _ = _run([CARD, OTHER])

    assert publisher.published == [CARD, OTHER]
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("card read")]
    assert len(logged) == 2 and "read-1" in logged[0]
    assert CARD.id_number not in caplog.text and CARD.id_number[:6] + "********" in caplog.text


def test_no_card_on_the_reader_is_normal_and_the_loop_waits_on() -> None:
    reader, publisher, _ = _run([NoCard(), NoCard(), NoCard(), CARD])

    assert publisher.published == [CARD]
    assert reader.opened == 1 and reader.closed == 1  # opened once, closed only at the stop


@pytest.mark.parametrize("failure", [CardUnreadable("checksum of the text record", field="name"),
                                     FrameCorrupt("two damaged answers")])
def test_a_card_that_cannot_be_read_is_logged_in_both_languages_and_the_loop_goes_on(
        failure: CardReaderError, caplog: pytest.LogCaptureFixture) -> None:
    reader, publisher, _ = _run([failure, CARD])

    assert publisher.published == [CARD]
    assert reader.opened == 1
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert failure.reason in warning.getMessage() and failure.message_zh in warning.getMessage()


def test_an_unplugged_reader_is_opened_again_after_pauses_that_grow() -> None:
    gone = ReaderNotFound("nothing answers at /dev/ttyUSB0")
    reader, publisher, clock = _run([CARD, ReaderDisconnected("stopped answering"), OTHER], opens=[None, gone, gone])

    assert publisher.published == [CARD, OTHER]
    assert clock.waits == [1.0, 2.0, 4.0]
    assert reader.opened == 2


def test_a_reader_that_never_appears_is_tried_again_at_most_every_30_seconds(
        caplog: pytest.LogCaptureFixture) -> None:
    _, publisher, clock = _run([CARD], opens=[ReaderNotFound("COM3")] * 7)

    assert clock.waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert publisher.published == [CARD]
    assert "reader_not_found" in caplog.text and "在此端口未找到读卡器" in caplog.text


def test_a_device_that_is_not_a_supported_reader_is_reported_and_tried_again() -> None:
    reader, publisher, clock = _run([CARD], opens=[UnsupportedModel("answered garbage")])

    assert (publisher.published, clock.waits, reader.opened) == ([CARD], [1.0], 1)


def test_the_pauses_start_again_at_one_second_once_the_reader_has_worked() -> None:
    gone = ReaderNotFound("COM3")
    _, _, clock = _run([CARD, ReaderDisconnected("x"), CARD], opens=[gone, gone, None, gone])

    assert clock.waits == [1.0, 2.0, 1.0, 2.0]


def test_an_unexpected_failure_of_the_reader_is_logged_and_the_reader_opened_again(
        caplog: pytest.LogCaptureFixture) -> None:
    reader, publisher, _ = _run([RuntimeError("driver bug"), CARD], opens=[ValueError("bad samples file")])

    assert publisher.published == [CARD]
    assert reader.opened == 2 and reader.closed == 2
    assert "bad samples file" in caplog.text and "driver bug" in caplog.text


def test_a_card_left_lying_on_the_reader_is_published_once_and_again_after_it_was_taken_off() -> None:
    _, publisher, _ = _run([CARD, CARD, CARD, NoCard(), CARD])

    assert publisher.published == [CARD, CARD]


def test_the_loop_pauses_after_each_card_so_a_simulator_cannot_flood_the_broker() -> None:
    _, _, clock = _run([CARD, CardUnreadable("x"), OTHER, NoCard()], pause=1.0)

    assert clock.waits == [1.0, 1.0, 1.0]


def test_a_read_that_could_not_be_recorded_is_logged_and_taken_again_when_the_card_is_put_back(
        caplog: pytest.LogCaptureFixture) -> None:
    publisher = RecordingPublisher(failures=[OSError(28, "No space left on device")])

    _run([CARD, CARD, NoCard(), CARD], publisher=publisher)

    assert publisher.published == [CARD]  # once the card was put on again
    assert "recording the card read failed" in caplog.text and "请重新放置身份证" in caplog.text


def test_the_backlog_is_sent_again_every_retry_interval_even_when_no_card_is_read() -> None:
    stop = threading.Event()
    publisher = RecordingPublisher()
    reader = ScriptedReader(stop, [NoCard()] * 1_000_000)
    daemon = EdgeDaemon(replace(CONFIG, retry_seconds=0.02), reader, publisher)
    thread = threading.Thread(target=daemon.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while publisher.resends < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(10)
    assert publisher.resends >= 3 and publisher.published == []


class WaitingReader(ScriptedReader):
    """A reader with no card on it: each read waits its whole timeout, as a real one does."""

    def read_card(self, timeout: float) -> CardRecord:
        time.sleep(timeout)
        raise NoCard()


def test_stop_ends_the_loop_within_a_read_and_closes_the_reader_and_the_publisher() -> None:
    stop = threading.Event()
    reader, publisher = WaitingReader(stop, []), RecordingPublisher()
    thread = threading.Thread(target=EdgeDaemon(replace(CONFIG, read_timeout=0.2), reader, publisher).run,
                              args=(stop,))
    thread.start()
    while reader.opened == 0 and thread.is_alive():
        time.sleep(0.01)

    stopped = time.monotonic()
    stop.set()
    thread.join(10)

    assert not thread.is_alive() and time.monotonic() - stopped < 2
    assert reader.closed == 1 and publisher.closed


def test_stop_also_ends_a_pause_before_the_reader_is_tried_again() -> None:
    stop = threading.Event()
    reader, publisher = ScriptedReader(stop, [], opens=[ReaderNotFound("COM3")]), RecordingPublisher()
    daemon = EdgeDaemon(CONFIG, reader, publisher, backoff=Backoff(first=60, longest=60))
    thread = threading.Thread(target=daemon.run, args=(stop,))
    thread.start()
    while reader.attempts == 0 and thread.is_alive():
        time.sleep(0.01)

    stop.set()
    thread.join(5)

    assert not thread.is_alive() and publisher.closed


def test_back_off_doubles_up_to_its_longest_and_starts_over_after_a_reset() -> None:
    backoff = Backoff(first=1, longest=10)

    assert [backoff.next_delay() for _ in range(6)] == [1, 2, 4, 8, 10, 10]
    backoff.reset()
    assert backoff.next_delay() == 1
