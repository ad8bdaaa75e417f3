"""The SAM frame protocol of certified ID-card readers (GB/T 20014 style), as they speak it over USB-serial.

A frame is the preamble ``AA AA AA 96 69``, a 2-byte big-endian length (the bytes after it, checksum
included), the body and a 1-byte XOR checksum over the length and the body. A request's body is a
command byte, a parameter byte and optional data; a response's body is the status SW1 SW2 SW3 and data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Protocol

from realname_edge.errors import FrameCorrupt

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER = len(PREAMBLE) + 2
MAX_LENGTH = 4096  # the longest answer (base message with fingerprints) is ~2.3 KB
MAX_GARBAGE = 4096  # bytes skipped in search of a preamble before the stream is judged not to be SAM frames

FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASE_MESSAGE = (0x30, 0x01)
READ_SAM_ID = (0x12, 0xFF)


@dataclass(frozen=True)
class Response:
    sw: bytes  # SW1 SW2 SW3
    data: bytes

    @property
    def status(self) -> int:
        return self.sw[2]


@dataclass(frozen=True)
class Request:
    command: int
    parameter: int
    data: bytes


class NoFrame(Exception):
    """No preamble arrived in time; ``received`` counts the bytes that came instead (0: silence)."""

    def __init__(self, received: int) -> None:
        super().__init__(f"no SAM frame, {received} other bytes received")
        self.received = received


class ByteSource(Protocol):
    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; fewer, or none, when nothing more arrives for a short while."""
        ...


def checksum(data: bytes) -> int:
    return reduce(lambda acc, byte: acc ^ byte, data, 0)


def _frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def _body(raw: bytes) -> bytes:
    """The body of a whole frame, after checking preamble, length and checksum."""
    if not raw.startswith(PREAMBLE):
        raise FrameCorrupt("frame does not start with AA AA AA 96 69")
    if len(raw) < HEADER + 1 or int.from_bytes(raw[5:7], "big") != len(raw) - HEADER:
        raise FrameCorrupt(f"length field does not match the {len(raw)}-byte frame")
    if checksum(raw[5:-1]) != raw[-1]:
        raise FrameCorrupt("checksum mismatch")
    return raw[HEADER:-1]


def encode_request(command: int, parameter: int, data: bytes = b"") -> bytes:
    return _frame(bytes([command, parameter]) + data)


def decode_request(raw: bytes) -> Request:
    body = _body(raw)
    if len(body) < 2:
        raise FrameCorrupt("request without command and parameter")
    return Request(body[0], body[1], body[2:])


def encode_response(sw: bytes, data: bytes = b"") -> bytes:
    if len(sw) != 3:
        raise ValueError("a status is three bytes, SW1 SW2 SW3")
    return _frame(sw + data)


def decode_response(raw: bytes) -> Response:
    body = _body(raw)
    if len(body) < 3:
        raise FrameCorrupt("response without its three status bytes")
    return Response(body[:3], body[3:])


class FrameReader:
    """Pulls exactly one frame at a time from a byte stream, skipping any garbage before the preamble."""

    def __init__(self, source: ByteSource, clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._clock = clock
        self._buffer = bytearray()
        self._skipped = 0

    def read_frame(self, timeout: float) -> bytes:
        """The next whole frame (unchecked: pass it to a decode function); NoFrame or FrameCorrupt on timeout."""
        deadline = self._clock() + timeout
        self._skipped = 0
        try:
            while (need := self._missing()) > 0:
                if self._clock() >= deadline:
                    if len(self._buffer) >= len(PREAMBLE):
                        raise FrameCorrupt(f"frame cut short: {need} bytes missing")
                    raise NoFrame(self._skipped + len(self._buffer))
                self._buffer += self._source.read(need)
        except (FrameCorrupt, NoFrame):
            self._buffer.clear()  # resynchronise on the next preamble
            raise
        frame = bytes(self._buffer)
        self._buffer.clear()
        return frame

    def _missing(self) -> int:
        """How many more bytes the frame in the buffer needs, after dropping what precedes its preamble."""
        start = self._buffer.find(PREAMBLE)
        if start < 0:
            keep = max(len(self._buffer) - len(PREAMBLE) + 1, 0)  # a preamble may be split across reads
            self._drop(keep)
            if self._skipped > MAX_GARBAGE:
                raise NoFrame(self._skipped)
            return HEADER - len(self._buffer)
        self._drop(start)
        if len(self._buffer) < HEADER:
            return HEADER - len(self._buffer)
        length = int.from_bytes(self._buffer[5:7], "big")
        if not 1 <= length <= MAX_LENGTH:
            raise FrameCorrupt(f"implausible frame length {length}")
        return HEADER + length - len(self._buffer)

    def _drop(self, count: int) -> None:
        self._skipped += count
        del self._buffer[:count]
