"""PC/SC card readers through pyscard: a card put on the reader is read once, serial and (where it can) identity.

pyscard's ``CardMonitor`` reports cards put on and taken off the reader; ``read_card`` waits for the next card
put on, connects, reads the card's physical serial with GET UID (``FF CA 00 00 00``), which re-identifies a card
already registered, then the identity record through the reader's command set (``pcsc_mappings``). A reader
whose SAM is not exposed through PC/SC gives only the serial: that read is refused as UnsupportedModel, naming it.

pyscard's monitor is one thread for the whole process that it never stops, and that ends for good when pcscd
goes away. A read starts a new one where it ended; the last driver to close stops it (cancelling its wait on
pcscd), so a closed driver leaves no thread behind.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import replace
from typing import Any

from smartcard.CardMonitoring import CardMonitor, CardMonitoringThread, CardObserver
from smartcard.Exceptions import SmartcardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.pcsc.PCSCReader import PCSCReader
from smartcard.scard import SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED, SCardCancel
from smartcard.System import readers

from realname_edge.card import CardRecord
from realname_edge.drivers.pcsc_mappings import (
    SUCCESS,
    IdcnApplication,
    IdentityApplication,
    IdentityApplicationAbsent,
    Transmit,
    command,
)
from realname_edge.errors import (
    CardReaderError,
    CardUnreadable,
    NoCard,
    ReaderDisconnected,
    ReaderNotFound,
    UnsupportedModel,
)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
REMOVED = "the card was removed during the read"
_PCSC_ERRORS = (SmartcardException, BaseSCardException)
_MONITOR_LOCK = threading.Lock()
_MONITOR_STOP_WAIT = 5.0  # seconds; the monitor thread leaves within milliseconds once its wait is cancelled


def list_pcsc_readers() -> list[str]:
    """The names of the PC/SC readers pcscd knows (ReaderNotFound when no PC/SC service answers)."""
    try:
        return [str(reader) for reader in readers()]
    except _PCSC_ERRORS as exc:
        if getattr(exc, "hresult", None) in (SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED):
            raise ReaderNotFound(f"no PC/SC service: pcscd is not running ({exc})") from exc
        raise ReaderNotFound(f"pcscd could not list its readers ({exc})") from exc


class PcscDriver:
    def __init__(self, target: str, *, application: IdentityApplication | None = None) -> None:
        self.target = target  # part of the reader's name; "" takes the first reader
        self.reader: str | None = None
        self._application = application or IdcnApplication()
        self._cards = _CardsPutOn()
        self._observer: _ReaderObserver | None = None
        self._connection: Any = None

    def open(self) -> None:
        self.close()  # opened again: the first observer must not linger
        names = list_pcsc_readers()
        self.reader = _pick(names, self.target)
        self._cards = _CardsPutOn()
        self._observer = _ReaderObserver(self.reader, self._cards)
        _watch(self._observer)

    def close(self) -> None:
        self._cards.close()
        observer, self._observer = self._observer, None
        if observer is not None:
            _unwatch(observer)
        self._release()

    def describe(self) -> str:
        where = self.reader or (f"the first reader matching {self.target!r}" if self.target else "the first reader")
        return f"PC/SC reader {where} via pcscd ({self._application.name})"

    def read_card(self, timeout: float) -> CardRecord:
        if self._observer is None or self.reader is None:
            raise ReaderNotFound("the PC/SC driver is not open")
        if not _monitoring():
            self._check_reader()  # with pcscd gone a new monitor would end at once: say so instead
            _keep_watching()
        if not self._cards.take(timeout):
            self._check_reader()
            raise NoCard(f"no card put on {self.reader} within {timeout:g} s")
        try:
            transmit = self._connect(self.reader)
            serial = _card_serial(transmit)
            try:
                record = self._application.read_identity(transmit)
            except IdentityApplicationAbsent as exc:
                raise UnsupportedModel(f"this reader does not expose {exc.application}: {exc}; "
                                       f"it read only the card serial {serial or '(none)'}") from exc
            return replace(record, card_serial=serial)
        finally:
            self._release()

    def _connect(self, reader: str) -> Transmit:
        try:
            self._connection = PCSCReader(reader).createConnection()
            self._connection.connect()
        except _PCSC_ERRORS as exc:
            raise self._lost() from exc
        connection = self._connection

        def transmit(apdu: list[int]) -> tuple[list[int], int, int]:
            try:
                data, sw1, sw2 = connection.transmit(apdu)
            except _PCSC_ERRORS as exc:
                raise self._lost() from exc
            return list(data), int(sw1), int(sw2)

        return transmit

    def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*_PCSC_ERRORS):  # a card taken away cannot be disconnected cleanly, nor need be
                connection.release()

    def _lost(self) -> CardReaderError:
        """A failed exchange: the reader gone, or (vpcd gives no reason at all) the card taken away."""
        try:
            self._check_reader()
        except ReaderDisconnected as gone:
            return gone
        return CardUnreadable(REMOVED)

    def _check_reader(self) -> None:
        try:
            present = self.reader in list_pcsc_readers()
        except ReaderNotFound as exc:
            raise ReaderDisconnected(exc.detail) from exc
        if not present:
            raise ReaderDisconnected(f"{self.reader} is no longer connected")


def _pick(names: list[str], target: str) -> str:
    if not names:
        raise ReaderNotFound("pcscd runs but knows no PC/SC reader")
    matching = [name for name in names if target in name]
    if not matching:
        raise ReaderNotFound(f"no PC/SC reader's name contains {target!r}; pcscd knows {', '.join(names)}")
    return matching[0]


def _card_serial(transmit: Transmit) -> str | None:
    """The card's UID as hex, or None where the reader does not answer GET UID (contact readers)."""
    data, status = command(transmit, GET_UID)
    return data.hex().upper() if status == SUCCESS and data else None


class _CardsPutOn:
    """Whether a card lies on the reader that has not been read yet; one taken off before its read is forgotten."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._unread = False
        self._closed = False

    def put_on(self) -> None:
        with self._changed:
            self._unread = True
            self._changed.notify_all()

    def taken_off(self) -> None:
        with self._changed:
            self._unread = False

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def take(self, timeout: float) -> bool:
        """True when a card is there to read within ``timeout`` seconds (it then counts as read)."""
        with self._changed:
            self._changed.wait_for(lambda: self._unread or self._closed, timeout)
            taken, self._unread = self._unread and not self._closed, False
            return taken


class _ReaderObserver(CardObserver):  # type: ignore[misc]  # pyscard has no type information
    """Hears of every reader's cards from pyscard's monitor thread; passes on those of our reader."""

    def __init__(self, reader: str, cards: _CardsPutOn) -> None:
        super().__init__()
        self._reader, self._cards = reader, cards

    def update(self, observable: object, handlers: tuple[list[Any], list[Any]]) -> None:
        added, removed = handlers
        if any(str(card.reader) == self._reader for card in removed):
            self._cards.taken_off()
        if any(str(card.reader) == self._reader for card in added):
            self._cards.put_on()


def _watch(observer: _ReaderObserver) -> None:
    with _MONITOR_LOCK:
        _revive_monitor()
        CardMonitor().addObserver(observer)


def _monitoring() -> bool:
    thread = CardMonitoringThread.instance
    return thread is not None and bool(thread.is_alive())


def _keep_watching() -> None:
    with _MONITOR_LOCK:
        _revive_monitor()


def _revive_monitor() -> None:
    """A monitor thread where there is none, or where it ended (pcscd went away), for the same observers."""
    if _monitoring():
        return
    observers = list(CardMonitor.instance.obs) if CardMonitor.instance is not None else []
    _stop_monitor()
    monitor = CardMonitor()
    for observer in observers:
        monitor.addObserver(observer)


def _unwatch(observer: _ReaderObserver) -> None:
    with _MONITOR_LOCK:
        monitor = CardMonitor.instance
        if monitor is None:
            return
        with contextlib.suppress(ValueError):
            monitor.deleteObserver(observer)
        if monitor.countObservers() == 0:
            _stop_monitor()


def _stop_monitor() -> None:
    thread = CardMonitoringThread.instance
    if thread is not None:
        thread.stop()
        deadline = time.monotonic() + _MONITOR_STOP_WAIT
        while thread.is_alive() and time.monotonic() < deadline:
            _cancel_wait(thread.cardrequest)  # again and again: a cancel between two waits is lost
            thread.join(0.05)
        if thread.cardrequest is not None:
            with contextlib.suppress(*_PCSC_ERRORS):
                thread.cardrequest.pcsccardrequest.release()
    # pyscard keeps the monitor and its thread as singletons; the next CardMonitor() starts them afresh.
    CardMonitoringThread.instance = None
    CardMonitor.instance = None


def _cancel_wait(request: Any) -> None:
    context = request.pcsccardrequest.hcontext if request is not None else None
    if context is not None:
        SCardCancel(context)
