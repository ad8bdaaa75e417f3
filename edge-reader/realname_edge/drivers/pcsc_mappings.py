"""How a PC/SC reader that exposes its SAM gives the identity record: the mapping interface, and the one implemented.

A mapping turns a reader's command set into a ``CardRecord``. It only sees ``transmit(apdu) -> (data, sw1, sw2)``,
so it runs the same against a real card and a fake one. Another vendor's command set is another class with
a ``read_identity`` method, handed to ``PcscDriver(application=...)``.

The one implemented, ``IdcnApplication``: the reader's identity application "IDCN".

- AID ``A0 00 00 06 32 49 44 43 4E`` (RID ``A0 00 00 06 32``, PIX "IDCN" in ASCII).
- ``SELECT``: ``00 A4 04 00 09 <AID>`` answers ``90 00``. ``6A 82`` (not found), ``6A 81`` (function not
  supported), ``6D 00`` or ``6E 00`` (instruction or class not supported): the reader has no identity application.
- ``READ BINARY``: ``00 B0 <offset high> <offset low> <Le>``, Le at most ``E0``, gives the next bytes of the
  one transparent identity file with ``90 00`` (``62 82`` with fewer bytes: the end of the file came first).
  The file is read in such chunks until the length it declares.
- ``61 xx`` (more bytes waiting) is followed by ``GET RESPONSE``, ``6C xx`` (wrong Le) by the same command with
  Le ``xx``, as T=0 cards ask.
- The identity file is one BER-TLV: tag ``70``, its length (``xx``, ``81 xx`` or ``82 xx xx``), then one TLV
  per field, in any order, each exactly once; bytes after it are padding::

      80 name                  85 ID number
      81 sex (1 male, 2 female) 86 issuing authority
      82 ethnicity (GB 3304)   87 valid from (YYYYMMDD)
      83 birth date (YYYYMMDD) 88 valid to (YYYYMMDD, or 长期 for life)
      84 address               89 photo (1,024 bytes of WLT, kept as is)

  Text is UTF-8, checked by the rules of the SAM text record (its helpers), and no longer than that record
  has room for. An unknown, repeated or missing tag, a length past the end, or a bad field is unreadable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from realname_edge.card import PHOTO_LENGTH, CardRecord

# The SAM record's checks are the card's own rules, whichever way the card is read: reused, not copied.
from realname_edge.card_fields import FOR_LIFE, date_of, ethnicity_of, id_number_of, required_text, sex_of
from realname_edge.errors import CardUnreadable
from realname_edge.sam.text_record import WIDTHS

Transmit = Callable[[list[int]], tuple[list[int], int, int]]

IDCN_AID = bytes.fromhex("A0000006324944434E")
FILE_TAG = 0x70
TAGS = {0x80: "name", 0x81: "sex", 0x82: "ethnicity", 0x83: "birth_date", 0x84: "address", 0x85: "id_number",
        0x86: "issuing_authority", 0x87: "valid_from", 0x88: "valid_to", 0x89: "photo"}
TEXT_FIELDS = tuple(name for name in TAGS.values() if name != "photo")
MAX_CHUNK = 0xE0  # an answer short enough for the smallest reader buffers
MAX_FILE = 0x7FFF  # READ BINARY's offset has 15 bits
SUCCESS = 0x9000
END_OF_FILE = 0x6282
ABSENT = {0x6A82: "not found", 0x6A81: "function not supported", 0x6D00: "instruction not supported",
          0x6E00: "class not supported"}
_MAX_RESPONSES = 64  # GET RESPONSE rounds one command may take before the card counts as babbling


class IdentityApplicationAbsent(Exception):
    """The card answers but the reader has no identity application (the driver says so with the card serial)."""

    def __init__(self, application: str, status: int) -> None:
        self.application, self.status = application, status
        super().__init__(f"SELECT answered {status:04X} ({ABSENT.get(status, 'refused')})")


class IdentityApplication(Protocol):
    """One reader command set that yields the identity record; ``card_serial`` is left to the driver."""

    name: str

    def read_identity(self, transmit: Transmit) -> CardRecord:
        """The record, or CardUnreadable (which field), or IdentityApplicationAbsent; transmit's errors pass."""
        ...


@dataclass(frozen=True)
class IdcnApplication:
    name: str = f"the identity application IDCN ({IDCN_AID.hex(' ').upper()})"
    chunk: int = MAX_CHUNK

    def __post_init__(self) -> None:
        if not 1 <= self.chunk <= MAX_CHUNK:
            raise ValueError(f"a READ BINARY chunk is 1 to {MAX_CHUNK} bytes, not {self.chunk}")

    def read_identity(self, transmit: Transmit) -> CardRecord:
        self._select(transmit)
        return decode_identity_file(self._read_file(transmit))

    def _select(self, transmit: Transmit) -> None:
        _, status = command(transmit, [0x00, 0xA4, 0x04, 0x00, len(IDCN_AID), *IDCN_AID])
        if status in ABSENT:
            raise IdentityApplicationAbsent(self.name, status)
        if status != SUCCESS:
            raise CardUnreadable(f"SELECT answered {status:04X}", field="select")

    def _read_file(self, transmit: Transmit) -> bytes:
        content = bytearray()
        total: int | None = None
        while total is None or len(content) < total:
            wanted = self.chunk if total is None else min(self.chunk, total - len(content))
            piece = _read_binary(transmit, len(content), wanted)
            if not piece:
                declared = f" of the {total} it declares" if total is not None else ""
                raise CardUnreadable(f"the file ends after {len(content)} bytes{declared}", field="identity_file")
            content += piece
            total = declared_length(bytes(content))
        return bytes(content[:total])


def _read_binary(transmit: Transmit, offset: int, length: int) -> bytes:
    data, status = command(transmit, [0x00, 0xB0, offset >> 8, offset & 0xFF, length])
    if status not in (SUCCESS, END_OF_FILE):
        raise CardUnreadable(f"READ BINARY at offset {offset} answered {status:04X}", field="identity_file")
    if len(data) > length:
        raise CardUnreadable(f"READ BINARY at offset {offset} gave {len(data)} bytes for {length}",
                             field="identity_file")
    return data


def command(transmit: Transmit, apdu: list[int]) -> tuple[bytes, int]:
    """The whole answer to ``apdu`` and its status word, after the exchanges T=0 cards ask for."""
    data, sw1, sw2 = transmit(apdu)
    if sw1 == 0x6C:  # wrong Le: the card says how many bytes it has
        data, sw1, sw2 = transmit([*apdu[:4], sw2])
    answer = bytearray(data)
    for _ in range(_MAX_RESPONSES):
        if sw1 != 0x61:
            return bytes(answer), sw1 << 8 | sw2
        data, sw1, sw2 = transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        answer += bytes(data)
    raise CardUnreadable(f"the card still had more to say after {_MAX_RESPONSES} GET RESPONSE",
                         field="identity_file")


def declared_length(content: bytes) -> int | None:
    """The whole file's length from its first bytes (None until they hold the tag and length)."""
    header = _file_header(content)
    return None if header is None else header[1]


def _file_header(content: bytes) -> tuple[int, int] | None:
    """Where the file's fields start and where the file ends, or None until its first bytes hold both."""
    if not content:
        return None
    if content[0] != FILE_TAG:
        raise CardUnreadable(f"starts with tag {content[0]:02X}, not {FILE_TAG:02X}", field="identity_file")
    header = _length(content, 1, "identity_file")
    if header is None:
        return None
    length, start = header
    if start + length > MAX_FILE:
        raise CardUnreadable(f"declares {start + length} bytes, more than READ BINARY reaches", field="identity_file")
    return start, start + length


def _length(content: bytes, at: int, field: str) -> tuple[int, int] | None:
    """A BER length at ``at``: (length, where the value starts), or None when the bytes stop within it."""
    if at >= len(content):
        return None
    first = content[at]
    if first < 0x80:
        return first, at + 1
    size = first & 0x7F
    if size not in (1, 2):
        raise CardUnreadable(f"length byte {first:02X} at offset {at} is not BER short, 81 or 82", field=field)
    if at + 1 + size > len(content):
        return None
    return int.from_bytes(content[at + 1:at + 1 + size], "big"), at + 1 + size


def decode_identity_file(content: bytes) -> CardRecord:
    """The record in a whole identity file (``card_serial`` None); CardUnreadable names the field at fault."""
    header = _file_header(content)
    if header is None or header[1] > len(content):
        raise CardUnreadable(f"{len(content)} bytes, shorter than the file declares", field="identity_file")
    start, total = header
    values = _fields(content[start:total])
    text = {name: _text(name, values[name]) for name in TEXT_FIELDS}
    if len(values["photo"]) != PHOTO_LENGTH:
        raise CardUnreadable(f"{len(values['photo'])} bytes, not {PHOTO_LENGTH}", field="photo")
    return CardRecord(
        name=required_text(text, "name"), sex=sex_of(text["sex"]), ethnicity=ethnicity_of(text["ethnicity"]),
        birth_date=date_of(text, "birth_date"), address=required_text(text, "address"), id_number=id_number_of(text),
        issuing_authority=required_text(text, "issuing_authority"), valid_from=date_of(text, "valid_from"),
        valid_to=None if text["valid_to"] == FOR_LIFE else date_of(text, "valid_to"), photo=values["photo"])


def _fields(body: bytes) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for tag, value in _tlvs(body):
        name = TAGS.get(tag)
        if name is None:
            raise CardUnreadable(f"unknown tag {tag:02X}", field="identity_file")
        if name in values:
            raise CardUnreadable(f"tag {tag:02X} appears twice", field=name)
        values[name] = value
    missing = [name for name in TAGS.values() if name not in values]
    if missing:
        raise CardUnreadable(f"tag {_tag_of(missing[0]):02X} is missing", field=missing[0])
    return values


def _tlvs(body: bytes) -> Iterator[tuple[int, bytes]]:
    at = 0
    while at < len(body):
        tag = body[at]
        field = TAGS.get(tag, "identity_file")
        header = _length(body, at + 1, field)
        if header is None or header[0] + header[1] > len(body):
            raise CardUnreadable(f"tag {tag:02X} at offset {at} runs past the end of the file", field=field)
        length, start = header
        yield tag, body[start:start + length]
        at = start + length


def _text(name: str, raw: bytes) -> str:
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CardUnreadable("not UTF-8 text", field=name) from exc
    if value != value.strip():
        raise CardUnreadable("begins or ends with white space", field=name)
    if len(value.encode("utf-16-le")) > WIDTHS[name]:
        raise CardUnreadable(f"{len(value)} characters, more than the card holds", field=name)
    return value


def _tag_of(name: str) -> int:
    return next(tag for tag, field in TAGS.items() if field == name)


def identity_values(record: CardRecord) -> list[tuple[int, bytes]]:
    """(tag, value) of each field of ``record``, in tag order: what a card's identity file holds."""
    text = {"name": record.name, "sex": "1" if record.sex == "male" else "2", "ethnicity": record.ethnicity,
            "birth_date": f"{record.birth_date:%Y%m%d}", "address": record.address, "id_number": record.id_number,
            "issuing_authority": record.issuing_authority, "valid_from": f"{record.valid_from:%Y%m%d}",
            "valid_to": f"{record.valid_to:%Y%m%d}" if record.valid_to else FOR_LIFE}
    return [(tag, record.photo if name == "photo" else text[name].encode("utf-8")) for tag, name in TAGS.items()]


def tlv(tag: int, value: bytes) -> bytes:
    """One BER-TLV with a one-byte tag (for card emulators and tests)."""
    if len(value) < 0x80:
        length = bytes([len(value)])
    elif len(value) <= 0xFF:
        length = bytes([0x81, len(value)])
    else:
        length = bytes([0x82]) + len(value).to_bytes(2, "big")
    return bytes([tag]) + length + value


def encode_identity_file(record: CardRecord) -> bytes:
    """The identity file a card holding ``record`` gives (for card emulators and tests)."""
    return tlv(FILE_TAG, b"".join(tlv(tag, value) for tag, value in identity_values(record)))
