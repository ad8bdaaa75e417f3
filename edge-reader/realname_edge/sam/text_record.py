"""The reader's base message: the 256-byte identity text record (UCS-2 little-endian) and the 1,024-byte photo."""

from __future__ import annotations

from realname_edge.card import PHOTO_LENGTH, CardRecord
from realname_edge.card_fields import FOR_LIFE, date_of, ethnicity_of, id_number_of, required_text, sex_of
from realname_edge.errors import CardUnreadable

TEXT_LENGTH = 256

# (field, bytes) in the order the record holds them; 36 reserved bytes close it.
LAYOUT = (("name", 30), ("sex", 2), ("ethnicity", 4), ("birth_date", 16), ("address", 70), ("id_number", 36),
          ("issuing_authority", 30), ("valid_from", 16), ("valid_to", 16), ("reserved", 36))
WIDTHS = dict(LAYOUT)


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
        name=required_text(text, "name"), sex=sex_of(text["sex"]), ethnicity=ethnicity_of(text["ethnicity"]),
        birth_date=date_of(text, "birth_date"), address=required_text(text, "address"), id_number=id_number_of(text),
        issuing_authority=required_text(text, "issuing_authority"), valid_from=date_of(text, "valid_from"),
        valid_to=None if text["valid_to"] == FOR_LIFE else date_of(text, "valid_to"),
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
