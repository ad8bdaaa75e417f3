"""The reader loop of ``realname-edge run``: wait for a card, publish the read, and never give up on the reader.

A reader that is missing, unplugged or not one we support is tried again with a growing pause (1 s up to
30 s), so plugging it in later is enough. A failed read is logged with its reason (R2) and the loop goes on.
A card left lying on the reader is published once: the same card counts as a new read only after the reader
has reported no card (it was taken off) or was opened again.
Beside the loop a thread re-sends the spooled backlog every ``retry_seconds``, so reads made while the broker
was away arrive once it is back, even if no further card is read. Every wait is a wait on the stop event,
so stopping is prompt and tests can drive the clock.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from realname_edge.backoff import Backoff
from realname_edge.card import CardRecord
from realname_edge.config import EdgeConfig
from realname_edge.drivers.base import CardReaderDriver
from realname_edge.errors import CardReaderError, CardUnreadable, FrameCorrupt, NoCard

__all__ = ["Backoff", "CardReads", "EdgeDaemon"]  # Backoff: callers have always found it here

log = logging.getLogger(__name__)

_RETRY_THREAD_JOIN = 60.0  # a re-send in progress ends within the publisher's own broker timeouts


class CardReads(Protocol):
    """Where reads go (``CardReadPublisher``): spooled at once, published when the broker confirms."""

    def record_read(self, card: CardRecord) -> str: ...

    def publish_pending(self) -> int: ...

    def close(self) -> None: ...


class EdgeDaemon:
    def __init__(self, config: EdgeConfig, driver: CardReaderDriver, publisher: CardReads, *,
                 backoff: Backoff | None = None, pause_between_cards: float = 1.0) -> None:
        self.config = config
        self.driver = driver
        self.publisher = publisher
        self._backoff = backoff or Backoff()
        # A person hands over at most about a card a second; the pause also keeps a simulator (which has a
        # card ready at every read) from flooding the broker.
        self._pause = pause_between_cards
        self._open = False
        self._card_on_reader: CardRecord | None = None

    def run(self, stop: threading.Event) -> None:
        """Read until ``stop`` is set, then close the reader and the publisher."""
        log.info("realname-edge reading with %s, publishing to %r", self.driver.describe(), self.config)
        done = threading.Event()
        resender = threading.Thread(target=self._resend_backlog, args=(done,), name="edge-backlog", daemon=True)
        resender.start()
        try:
            while not stop.is_set():
                if self._open or self._open_reader(stop):
                    self._read_once(stop)
        finally:
            done.set()
            resender.join(_RETRY_THREAD_JOIN)
            self._close_reader()
            self.publisher.close()
            log.info("realname-edge stopped")

    def _open_reader(self, stop: threading.Event) -> bool:
        try:
            self.driver.open()
        except Exception as exc:
            self._reader_failed(exc, stop)
            return False
        self._open = True
        log.info("reader ready: %s", self.driver.describe())
        return True

    def _read_once(self, stop: threading.Event) -> None:
        try:
            card = self.driver.read_card(self.config.read_timeout)
        except NoCard:
            self._card_on_reader = None  # the card was taken off: the same card put back is a new read
            self._backoff.reset()
            return
        except (CardUnreadable, FrameCorrupt) as exc:
            log.warning("card not read (%s): %s | %s", exc.reason, exc.message, exc.message_zh)
            self._backoff.reset()
            self._pause_for_next_card(stop)
            return
        except Exception as exc:
            self._close_reader()
            self._reader_failed(exc, stop)
            return
        self._backoff.reset()
        self._publish(card)
        self._pause_for_next_card(stop)

    def _publish(self, card: CardRecord) -> None:
        if card == self._card_on_reader:
            log.debug("the card is still on the reader, not read again: %r", card)
            return
        self._card_on_reader = card
        try:
            read_id = self.publisher.record_read(card)
        except Exception:  # e.g. the spool cannot write (disk full): say so and keep reading
            log.exception("recording the card read failed, it may not have been kept; put the card on the reader "
                          "again: %r | 读卡结果可能未保存，请重新放置身份证", card)
            return
        log.info("card read %s: %r", read_id, card)

    def _reader_failed(self, exc: Exception, stop: threading.Event) -> None:
        delay = self._backoff.next_delay()
        if isinstance(exc, CardReaderError):
            log.warning("reader not ready (%s): %s | %s; trying again in %g s",
                        exc.reason, exc.message, exc.message_zh, delay)
        else:  # not a reader failure we know: keep the daemon alive, the doctor can tell more
            log.error("reader failed unexpectedly; trying again in %g s", delay, exc_info=exc)
        stop.wait(delay)

    def _pause_for_next_card(self, stop: threading.Event) -> None:
        if self._pause > 0:
            stop.wait(self._pause)

    def _close_reader(self) -> None:
        self._open = False
        self._card_on_reader = None
        try:
            self.driver.close()
        except Exception:
            log.warning("the reader did not close cleanly", exc_info=True)

    def _resend_backlog(self, done: threading.Event) -> None:
        while True:
            try:
                sent = self.publisher.publish_pending()
            except Exception:  # the publisher logs its own failures; this is a bug, and the thread must live on
                log.exception("re-sending the spooled card reads failed")
            else:
                if sent:
                    log.info("%d spooled card reads sent", sent)
            if done.wait(self.config.retry_seconds):
                return
