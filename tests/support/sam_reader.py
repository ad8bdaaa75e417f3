"""A certified ID-card reader on a pseudo-terminal: speaks the SAM frame protocol, and fails on request.

The driver opens ``port`` (the slave side) exactly as it would open ``/dev/ttyUSB0``; a thread answers on
the master side. Faults apply to the next answers (to one command, or any): a flipped checksum, a length
field one too long, garbage instead of a frame, "command unsupported", silence, a given status byte, or
an unplug (half an answer written, then the master closed).
"""

from __future__ import annotations

import contextlib
import enum
import os
import select
import threading
import tty
from dataclasses import dataclass

from realname_edge.card import CardRecord
from realname_edge.errors import FrameCorrupt
from realname_edge.sam import status
from realname_edge.sam.frames import (
    FIND_CARD,
    READ_BASE_MESSAGE,
    READ_SAM_ID,
    SELECT_CARD,
    FrameReader,
    NoFrame,
    Request,
    decode_request,
    encode_response,
)
from realname_edge.sam.text_record import encode_base_message

GARBAGE = b"\r\nATE0 OK\r\n" + bytes(range(0x20))
SAM_ID = bytes.fromhex("0501000020101012000000010000C0DE")


class Fault(enum.Enum):
    CORRUPT_CHECKSUM = "corrupt_checksum"
    WRONG_LENGTH = "wrong_length"
    GARBAGE = "garbage"
    UNSUPPORTED = "unsupported"
    SILENT = "silent"
    STATUS = "status"
    UNPLUG = "unplug"


@dataclass
class _Pending:
    fault: Fault
    times: int
    command: tuple[int, int] | None
    status: int


class _Stopped(Exception):
    pass


class _MasterSource:
    def __init__(self, master: int, stop: int) -> None:
        self._master, self._stop = master, stop

    def read(self, size: int) -> bytes:
        ready, _, _ = select.select([self._master, self._stop], [], [], 0.05)
        if self._stop in ready:
            raise _Stopped
        return os.read(self._master, size) if ready else b""


def _sw(code: int) -> bytes:
    return bytes([0, 0, code])


class SamReaderEmulator:
    def __init__(self, card: CardRecord | None = None) -> None:
        self.card = card  # None: no card on the reader
        self.requests: list[tuple[int, int]] = []
        self.unplugged = threading.Event()
        self._pending: list[_Pending] = []
        self._lock = threading.Lock()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="sam-reader-emulator", daemon=True)

    def __enter__(self) -> SamReaderEmulator:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self._slave, self._stop_r, self._stop_w) + (() if self.unplugged.is_set() else (self._master,)):
            os.close(fd)

    def inject(self, fault: Fault, *, times: int = 1, command: tuple[int, int] | None = None,
               status_code: int = status.UNKNOWN_ERROR) -> None:
        with self._lock:
            self._pending.append(_Pending(fault, times, command, status_code))

    def commands(self, command: tuple[int, int]) -> int:
        with self._lock:
            return self.requests.count(command)

    def _run(self) -> None:
        frames = FrameReader(_MasterSource(self._master, self._stop_r))
        with contextlib.suppress(_Stopped):
            while not self.unplugged.is_set():
                try:
                    raw = frames.read_frame(timeout=60)
                except (NoFrame, FrameCorrupt):
                    continue
                self._answer(raw)

    def _answer(self, raw: bytes) -> None:
        try:
            request = decode_request(raw)
        except FrameCorrupt:
            self._write(encode_response(_sw(status.CHECKSUM_ERROR)))
            return
        with self._lock:
            self.requests.append((request.command, request.parameter))
            pending = self._take((request.command, request.parameter))
        response = self._response(request)
        if pending is None:
            self._write(response)
        else:
            self._misbehave(pending, response)

    def _take(self, command: tuple[int, int]) -> _Pending | None:
        for pending in self._pending:
            if pending.command in (None, command):
                pending.times -= 1
                if pending.times == 0:
                    self._pending.remove(pending)
                return pending
        return None

    def _response(self, request: Request) -> bytes:
        card = self.card
        answers = {
            READ_SAM_ID: (status.SUCCESS, SAM_ID),
            FIND_CARD: (status.CARD_FOUND, bytes(4)) if card else (status.NO_CARD, b""),
            SELECT_CARD: ((status.SUCCESS, bytes.fromhex(card.card_serial or "00" * 8)) if card
                          else (status.SELECT_FAILED, b"")),
            READ_BASE_MESSAGE: (status.SUCCESS, encode_base_message(card)) if card else (status.READ_FAILED, b""),
        }
        code, data = answers.get((request.command, request.parameter), (status.UNSUPPORTED_COMMAND, b""))
        return encode_response(_sw(code), data)

    def _misbehave(self, pending: _Pending, response: bytes) -> None:
        fault = pending.fault  # Fault.SILENT writes nothing at all
        if fault is Fault.CORRUPT_CHECKSUM:
            self._write(response[:-1] + bytes([response[-1] ^ 0x5A]))
        elif fault is Fault.WRONG_LENGTH:
            length = int.from_bytes(response[5:7], "big") + 1
            self._write(response[:5] + length.to_bytes(2, "big") + response[7:])
        elif fault is Fault.GARBAGE:
            self._write(GARBAGE)
        elif fault is Fault.UNSUPPORTED:
            self._write(encode_response(_sw(status.UNSUPPORTED_COMMAND)))
        elif fault is Fault.STATUS:
            self._write(encode_response(_sw(pending.status)))
        elif fault is Fault.UNPLUG:
            self._write(response[:len(response) // 2])
            self.unplugged.set()
            os.close(self._master)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._master, view):]
