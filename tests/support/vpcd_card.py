"""A contactless ID card for pcscd's virtual reader (vsmartcard-vpcd): put on the reader, read, taken away.

vpcd, loaded into pcscd, listens on TCP 35963 for "Virtual PCD 00 00" (35964 for "... 01"); a card is
present while a client is connected to it. Each message is a 2-byte big-endian length and a payload: one
byte is a control (0 power off, 1 power on, 2 reset, 4 send the ATR), more is an APDU to answer.

The card answers GET UID (``FF CA 00 00 00``, as a contactless reader does for the card's serial), SELECT
of the identity application (or 6A82 when it is a serial-only card) and READ BINARY of the identity file
built from a ``CardRecord``. ``remove_after=n`` takes the card away when the (n+1)-th APDU arrives, unanswered.
``insert`` and ``remove`` return once pcscd's poll of vpcd (every 0.4 s) has seen the card come or go, so a
test never races pcscd's view of the reader.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from smartcard.scard import (
    SCARD_S_SUCCESS,
    SCARD_SCOPE_USER,
    SCARD_STATE_PRESENT,
    SCARD_STATE_UNAWARE,
    SCardEstablishContext,
    SCardGetStatusChange,
    SCardReleaseContext,
)

from realname_edge.card import CardRecord
from realname_edge.drivers.pcsc_mappings import IDCN_AID, encode_identity_file

VPCD_PORT = 35963
READER = "Virtual PCD 00 00"  # the reader vpcd shows for VPCD_PORT; "Virtual PCD 00 01" is port 35964
SEEN_WITHIN = 10.0  # seconds for pcscd to notice a card come or go, on a loaded machine
# Contactless card through a PC/SC part 3 reader: T=1, no historical bytes.
ATR = bytes.fromhex("3B80800101")
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
SELECT_IDENTITY = [0x00, 0xA4, 0x04, 0x00, len(IDCN_AID), *IDCN_AID]
_OK = b"\x90\x00"
_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0, 1, 2, 4


class _Removed(Exception):
    pass


class VpcdCard:
    def __init__(self, record: CardRecord, *, identity_application: bool = True, remove_after: int | None = None,
                 reader: str = READER, host: str = "127.0.0.1", port: int = VPCD_PORT) -> None:
        self.record = record
        self.identity_application = identity_application  # False: a card whose reader only gives its serial
        self.remove_after = remove_after
        self.apdus: list[bytes] = []  # every APDU received, answered or not
        self.removed = threading.Event()
        self._file = encode_identity_file(record)
        self.reader = reader
        self._address = (host, port)
        self._selected = False
        self._present_at: int | None = None  # pcscd's event count for the reader when it saw the card put on
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> VpcdCard:
        self.insert()
        return self

    def __exit__(self, *_: object) -> None:
        self.remove()

    def insert(self) -> None:
        """Put the card on the reader: connect to vpcd and answer it from a thread."""
        self.removed.clear()
        self._socket = socket.create_connection(self._address, timeout=5)
        self._socket.settimeout(None)
        self._thread = threading.Thread(target=self._serve, args=(self._socket,), name="vpcd-card", daemon=True)
        self._thread.start()
        try:
            self._present_at = _pcscd_sees(self.reader, present=True)
        except BaseException:
            self._disconnect()
            raise

    def remove(self) -> None:
        """Take the card away: the connection closes, and vpcd reports the card gone."""
        self._disconnect()
        _pcscd_sees(self.reader, present=False, unlike=self._present_at)

    def _disconnect(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread's recv
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.removed.set()

    def _serve(self, sock: socket.socket) -> None:
        with contextlib.suppress(_Removed, OSError):
            while True:
                message = _receive(sock)
                answer = self._control(message[0]) if len(message) == 1 else self._apdu(message)
                if answer is not None:
                    sock.sendall(len(answer).to_bytes(2, "big") + answer)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # the card left by itself (remove_after): vpcd sees it at once
        self.removed.set()

    def _control(self, code: int) -> bytes | None:
        if code in (_POWER_OFF, _POWER_ON, _RESET):
            self._selected = False
        return ATR if code == _GET_ATR else None

    def _apdu(self, apdu: bytes) -> bytes:
        self.apdus.append(apdu)
        if self.remove_after is not None and len(self.apdus) > self.remove_after:
            raise _Removed
        if list(apdu) == GET_UID:
            return bytes.fromhex(self.record.card_serial or "") + _OK
        if list(apdu) == SELECT_IDENTITY:
            self._selected = self.identity_application
            return _OK if self._selected else b"\x6a\x82"
        if apdu[:2] == b"\x00\xb0" and len(apdu) == 5:
            return self._read_binary(apdu[2] << 8 | apdu[3], apdu[4] or 256)
        return b"\x6d\x00"

    def _read_binary(self, offset: int, length: int) -> bytes:
        if not self._selected:
            return b"\x69\x86"  # command not allowed: no current file
        if offset >= len(self._file):
            return b"\x6b\x00"
        piece = self._file[offset:offset + length]
        return piece + (_OK if len(piece) == length else b"\x62\x82")


def _pcscd_sees(reader: str, *, present: bool, unlike: int | None = None) -> int:
    """pcscd's event count for ``reader`` once it shows the card ``present`` (or not) at another count than
    ``unlike``: when a read fails, pcscd marks the reader empty before its poll has seen the card go, and a card
    put on before that poll would go unnoticed."""
    result, context = SCardEstablishContext(SCARD_SCOPE_USER)
    if result != SCARD_S_SUCCESS:
        raise RuntimeError(f"pcscd does not answer ({result:#x})")
    try:
        deadline = time.monotonic() + SEEN_WITHIN
        while time.monotonic() < deadline:
            result, states = SCardGetStatusChange(context, 0, [(reader, SCARD_STATE_UNAWARE)])
            if result == SCARD_S_SUCCESS:
                state, count = states[0][1], states[0][1] >> 16
                if bool(state & SCARD_STATE_PRESENT) == present and count != unlike:
                    return int(count)
            time.sleep(0.02)
    finally:
        SCardReleaseContext(context)
    raise TimeoutError(f"pcscd did not see the card {'put on' if present else 'taken off'} {reader} "
                       f"within {SEEN_WITHIN:g} s")


def _receive(sock: socket.socket) -> bytes:
    length = int.from_bytes(_exactly(sock, 2), "big")
    return _exactly(sock, length)


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        # Without it each answer waits for the delayed ACK: ~44 ms an APDU instead of ~0.2 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise _Removed
        data += chunk
    return data
