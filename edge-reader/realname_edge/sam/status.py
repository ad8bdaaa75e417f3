"""The readers' status word (SW1 SW2 SW3) and the read failure each one means (R2)."""

from __future__ import annotations

from realname_edge.errors import CardReaderError, CardUnreadable, FrameCorrupt, NoCard, UnsupportedModel

SUCCESS = 0x90
NO_CONTENT = 0x91  # e.g. a card without fingerprints: the request itself succeeded
CARD_FOUND = 0x9F
NO_CARD = 0x80
SELECT_FAILED = 0x81
READ_FAILED = 0x41
CHECKSUM_ERROR = 0x10
LENGTH_ERROR = 0x11
UNSUPPORTED_COMMAND = 0x21
UNAUTHORISED = 0x23
UNKNOWN_ERROR = 0x24

OK = frozenset({SUCCESS, NO_CONTENT, CARD_FOUND})

_FAILURES: dict[int, tuple[type[CardReaderError], str]] = {
    NO_CARD: (NoCard, "no card found"),
    SELECT_FAILED: (CardUnreadable, "the card could not be selected"),
    READ_FAILED: (CardUnreadable, "reading the card failed"),
    0x31: (CardUnreadable, "the card did not authenticate the reader"),
    0x32: (CardUnreadable, "the reader did not authenticate the card"),
    0x33: (CardUnreadable, "the card's data failed verification"),
    0x40: (CardUnreadable, "not a resident ID card"),
    # The reader received our request damaged: line noise, to be handled like a damaged answer.
    CHECKSUM_ERROR: (FrameCorrupt, "the reader received a request with a wrong checksum"),
    LENGTH_ERROR: (FrameCorrupt, "the reader received a request with a wrong length"),
    UNSUPPORTED_COMMAND: (UnsupportedModel, "the reader does not know the command"),
    UNAUTHORISED: (UnsupportedModel, "the reader refused the command as unauthorised"),
    UNKNOWN_ERROR: (UnsupportedModel, "the reader reported an unknown error"),
    0x47: (UnsupportedModel, "the security module could not make a random number"),
    0x60: (UnsupportedModel, "the security module failed its self-test"),
    0x66: (UnsupportedModel, "the security module is not authorised"),
}


def failure(sw: bytes) -> CardReaderError | None:
    """The error a status word stands for, or None when it reports success."""
    if sw[:2] == b"\x00\x00" and sw[2] in OK:
        return None
    status = sw[2] if sw[:2] == b"\x00\x00" else -1
    kind, what = _FAILURES.get(status, (UnsupportedModel, "the reader answered with an unknown status"))
    return kind(f"{what}, status {sw.hex(' ').upper()}")


def check_status(sw: bytes) -> None:
    error = failure(sw)
    if error is not None:
        raise error
