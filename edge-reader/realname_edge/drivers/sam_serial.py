"""Certified ID-card readers with a SAM module (神思 SS628, 普天 CP IDMR02) on a USB-serial port, 115200 8N1.

A read is find card → select card → read base message. The reader is polled with "find" until a card
is presented or the time is up. A damaged answer is asked for once more; a second one is reported.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import serial
from serial.tools import list_ports

from realname_edge.card import CardRecord
from realname_edge.errors import (
    CardReaderError,
    CardUnreadable,
    FrameCorrupt,
    NoCard,
    ReaderDisconnected,
    ReaderNotFound,
    UnsupportedModel,
)
from realname_edge.sam.frames import (
    FIND_CARD,
    READ_BASE_MESSAGE,
    READ_SAM_ID,
    SELECT_CARD,
    FrameReader,
    NoFrame,
    Response,
    decode_response,
    encode_request,
)
from realname_edge.sam.status import failure
from realname_edge.sam.text_record import decode_base_message

BAUD_RATE = 115200
_READ_SLICE = 0.05  # a serial read blocks at most this long, so frame deadlines are kept to within it

try:
    import termios

    _PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # Windows: the port raises only these
    _PORT_ERRORS = (serial.SerialException, OSError)


@dataclass(frozen=True)
class SerialPortInfo:
    device: str
    description: str
    hardware_id: str


def list_serial_ports() -> list[SerialPortInfo]:
    """The serial ports of this machine, for the doctor to show where a reader might be."""
    return [SerialPortInfo(p.device, p.description, p.hwid) for p in sorted(list_ports.comports())]


class SamSerialDriver:
    def __init__(self, port: str, *, response_timeout: float = 3.0, poll_interval: float = 0.1) -> None:
        self.port = port
        self.sam_id: str | None = None
        self._response_timeout = response_timeout  # a base-message read takes about a second on real readers
        self._poll_interval = poll_interval
        self._serial: Any = None
        self._answered = False  # once the reader has answered, its silence means it was unplugged

    def open(self) -> None:
        try:
            self._serial = serial.Serial(self.port, BAUD_RATE, timeout=_READ_SLICE, write_timeout=1.0,
                                         exclusive=True)
        except _PORT_ERRORS as exc:
            raise ReaderNotFound(f"{self.port}: {exc}") from exc
        self._answered = False
        try:
            self.sam_id = self.read_sam_id()  # proves it is a SAM reader before any card is waited for
        except CardReaderError:
            self.close()
            raise

    def close(self) -> None:
        if self._serial is not None:
            port, self._serial = self._serial, None
            with contextlib.suppress(*_PORT_ERRORS):  # an unplugged port cannot be closed cleanly, nor need be
                port.close()

    def describe(self) -> str:
        sam = f", SAM {self.sam_id}" if self.sam_id else ""
        return f"SAM card reader at {self.port} ({BAUD_RATE} 8N1{sam})"

    def read_sam_id(self) -> str:
        return self._exchange(READ_SAM_ID).data.hex().upper()

    def read_card(self, timeout: float) -> CardRecord:
        card_serial = self._wait_for_card(time.monotonic() + timeout, timeout)
        return decode_base_message(self._exchange(READ_BASE_MESSAGE).data, card_serial)

    def _wait_for_card(self, deadline: float, timeout: float) -> str | None:
        """Find and select a card; its serial from the select answer (None when the reader gives zeros)."""
        while True:
            try:
                self._exchange(FIND_CARD)
                selected = self._exchange(SELECT_CARD).data
                return selected.hex().upper() if selected.strip(b"\x00") else None
            except NoCard as exc:
                if time.monotonic() + self._poll_interval >= deadline:
                    raise NoCard(f"no card presented within {timeout:g} s") from exc
            except CardUnreadable:  # a card being put down is found before it can be selected
                if time.monotonic() + self._poll_interval >= deadline:
                    raise
            time.sleep(self._poll_interval)

    def _exchange(self, command: tuple[int, int], data: bytes = b"") -> Response:
        try:
            return self._checked(command, data)
        except FrameCorrupt:
            return self._checked(command, data)  # once: line noise rarely strikes twice in a row

    def _checked(self, command: tuple[int, int], data: bytes) -> Response:
        response = decode_response(self._transact(encode_request(*command, data)))
        self._answered = True
        error = failure(response.sw)
        if error is not None:
            raise error
        return response

    def _transact(self, request: bytes) -> bytes:
        if self._serial is None:
            raise ReaderNotFound(f"{self.port} is not open")
        try:
            self._serial.reset_input_buffer()  # the rest of an earlier damaged answer must not pass for this one
            self._serial.write(request)
            return FrameReader(self._serial).read_frame(self._response_timeout)
        except NoFrame as exc:
            raise self._silence(exc.received) from exc
        except _PORT_ERRORS as exc:
            raise ReaderDisconnected(f"{self.port}: {exc}") from exc

    def _silence(self, received: int) -> CardReaderError:
        if received:
            return UnsupportedModel(f"{self.port} answered {received} bytes that are not SAM frames")
        if self._answered:
            return ReaderDisconnected(f"{self.port} stopped answering")
        return ReaderNotFound(f"nothing answers at {self.port}")
