"""The reader's base message: the 256-byte identity text record (UCS-2 little-endian) and the 1,024-byte photo."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from realname_codes.ethnicities import ETHNICITIES
from realname_edge.card import PHOTO_LENGTH, CardRecord
from realname_edge.errors import CardUnreadable

TEXT_LENGTH = 256
FOR_LIFE = "长期"  # the validity end of cards issued to people over 46

# (field, bytes) in the order the record holds them; 36 reserved bytes close it.
LAYOUT = (("name", 30), ("sex", 2), ("ethnicity", 4), ("birth_date", 16), ("address", 70), ("id_number", 36),
          ("issuing_authority", 30), ("valid_from", 16), ("valid_to", 16), ("reserved", 36))
WIDTHS = dict(LAYOUT)
_SEX: dict[str, Literal["male", "female"]] = {"1": "male", "2": "female"}  # GB/T 2261.1
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_DATE_SHAPE = re.compile(r"[0-9]{8}")


def decode_base_message(data: bytes, card_serial: str | None = None) -> CardRecord:
    """The record from the data of a read-base-message answer: text length, photo length, text, photo."""
    if len(data) < 4:
        raise CardUnreadable("base message shorter than its length fields", field="base_message")
    text_length, photo_length = int.from_bytes(data[:2], "big"), int.from_bytes(data[2:4], "big")
    if text_length != TEXT_LENGTH or photo_length != PHOTO_LENGTH or len(data) != 4 + text_length + photo_length:
        raise CardUnreadable(f"base message of {len(data)} bytes says text {text_length}, photo {photo_length}",
                             field="base_message")
    return decode_text_record(data[4:4 + TEXT_LENGTH], data[4 + TEXT_LENGTH:], card_serial)


def encode_base_message(record: CardRecord) -> bytes:
    return (TEXT_LENGTH.to_bytes(2, "big") + len(record.photo).to_bytes(2, "big")
            + encode_text_record(record) + record.photo)


def decode_text_record(raw: bytes, photo: bytes, card_serial: str | None = None) -> CardRecord:
    if len(raw) != TEXT_LENGTH:
        raise CardUnreadable(f"{len(raw)} bytes instead of {TEXT_LENGTH}", field="text_record")
    text = _split(raw)
    return CardRecord(
        name=_required(text, "name"), sex=_sex(text["sex"]), ethnicity=_ethnicity(text["ethnicity"]),
        birth_date=_date(text, "birth_date"), address=_required(text, "address"), id_number=_id_number(text),
        issuing_authority=_required(text, "issuing_authority"), valid_from=_date(text, "valid_from"),
        valid_to=None if text["valid_to"] == FOR_LIFE else _date(text, "valid_to"),
        photo=photo, card_serial=card_serial)


def encode_text_record(record: CardRecord) -> bytes:
    """The 256 bytes a reader returns for ``record`` (for emulators and tests); ValueError if a field is too long."""
    values = {"name": record.name, "sex": "1" if record.sex == "male" else "2", "ethnicity": record.ethnicity,
              "birth_date": f"{record.birth_date:%Y%m%d}", "address": record.address, "id_number": record.id_number,
              "issuing_authority": record.issuing_authority, "valid_from": f"{record.valid_from:%Y%m%d}",
              "valid_to": f"{record.valid_to:%Y%m%d}" if record.valid_to else FOR_LIFE, "reserved": ""}
    return b"".join(_field(name, values[name], width) for name, width in LAYOUT)


def _field(name: str, value: str, width: int) -> bytes:
    encoded = value.encode("utf-16-le")
    if len(encoded) > width:
        raise ValueError(f"{name} takes at most {width // 2} characters, {value!r} has {len(value)}")
    return encoded + " ".encode("utf-16-le") * ((width - len(encoded)) // 2)


def _split(raw: bytes) -> dict[str, str]:
    text: dict[str, str] = {}
    offset = 0
    for name, width in LAYOUT:
        try:
            value = raw[offset:offset + width].decode("utf-16-le")
        except UnicodeDecodeError as exc:
            raise CardUnreadable("not UCS-2 text", field=name) from exc
        text[name] = value.rstrip(" ")
        offset += width
    return text


def _required(text: dict[str, str], name: str) -> str:
    value = text[name]
    if not value or not value.isprintable():
        raise CardUnreadable("empty or holds control characters", field=name)
    return value


def _sex(code: str) -> Literal["male", "female"]:
    if code not in _SEX:
        raise CardUnreadable(f"sex code {code!r} is neither 1 (male) nor 2 (female)", field="sex")
    return _SEX[code]


def _ethnicity(code: str) -> str:
    if code not in ETHNICITIES:
        raise CardUnreadable(f"{code!r} is not a GB 3304 ethnicity code", field="ethnicity")
    return code


def _date(text: dict[str, str], name: str) -> date:
    value = text[name]
    try:
        if not _DATE_SHAPE.fullmatch(value):
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise CardUnreadable(f"{value!r} is not a date (YYYYMMDD)", field=name) from exc


def _id_number(text: dict[str, str]) -> str:
    # Only the shape: a number with a wrong check character is refused downstream with its own reason (R2).
    value = text["id_number"]
    if not _ID_SHAPE.fullmatch(value):
        raise CardUnreadable(f"{len(value)} characters that are not 17 digits and a digit or X", field="id_number")
    return value
