"""The 256-byte identity text (UCS-2 little-endian) becomes a card record, or says which field is unreadable."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.ethnicities import ETHNICITIES
from realname_codes.id_numbers import make_id_number
from realname_edge.card import CardRecord
from realname_edge.errors import CardUnreadable
from realname_edge.sam.text_record import (
    LAYOUT,
    decode_base_message,
    decode_text_record,
    encode_base_message,
    encode_text_record,
)

PHOTO = bytes(range(256)) * 4
BORN = date(1985, 3, 12)
CARD = CardRecord(name="张样本", sex="male", ethnicity="01", birth_date=BORN, address="上海市徐汇区虚构路1号",
                  id_number=make_id_number("310104", BORN, 131), issuing_authority="上海市公安局徐汇分局",
                  valid_from=date(2016, 4, 1), valid_to=date(2036, 4, 1), photo=PHOTO, card_serial="00112233AABBCCDD")

hanzi = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


def _with_field(field: str, value: str) -> bytes:
    """CARD's text record with one field's content replaced (space padded, as readers do)."""
    raw, offset = bytearray(encode_text_record(CARD)), 0
    for name, width in LAYOUT:
        if name == field:
            encoded = value.encode("utf-16-le")
            raw[offset:offset + width] = encoded + " ".encode("utf-16-le") * ((width - len(encoded)) // 2)
        offset += width
    return bytes(raw)


@given(name=st.lists(hanzi, min_size=1, max_size=15).map("".join),
       middle_dot=st.booleans(),
       address=st.text(hanzi | st.sampled_from("0123456789号-"), min_size=1, max_size=35),
       authority=st.text(hanzi, min_size=1, max_size=15),
       sex=st.sampled_from(["male", "female"]), ethnicity=st.sampled_from(sorted(ETHNICITIES)),
       born=dates, sequence=st.integers(0, 999), valid_from=dates, valid_to=st.none() | dates)
def test_a_text_record_survives_the_round_trip(name: str, middle_dot: bool, address: str, authority: str, sex: str,
                                               ethnicity: str, born: date, sequence: int, valid_from: date,
                                               valid_to: date | None) -> None:
    if middle_dot and len(name) > 2:
        name = name[:1] + "·" + name[2:]  # minority names: the reader gives U+00B7 between the parts
    card = replace(CARD, name=name, sex="male" if sex == "male" else "female", ethnicity=ethnicity, birth_date=born,
                   address=address, id_number=make_id_number("650102", born, sequence),
                   issuing_authority=authority, valid_from=valid_from, valid_to=valid_to)
    raw = encode_text_record(card)
    assert len(raw) == 256
    assert decode_text_record(raw, PHOTO, card.card_serial) == card


def test_the_fields_sit_where_the_reader_puts_them_little_endian_and_space_padded() -> None:
    raw = encode_text_record(CARD)
    assert raw[:6] == "张样本".encode("utf-16-le") and raw[6:30] == b" \x00" * 12
    assert raw[30:32] == b"1\x00"
    assert raw[32:36] == b"0\x001\x00"
    assert raw[122:158].decode("utf-16-le") == CARD.id_number
    assert raw[220:256] == b" \x00" * 18


def test_a_card_valid_for_life_reads_as_no_end_date() -> None:
    assert decode_text_record(_with_field("valid_to", "长期"), PHOTO).valid_to is None


def test_a_base_message_carries_text_then_photo_with_their_lengths() -> None:
    data = encode_base_message(CARD)
    assert data[:4] == b"\x01\x00\x04\x00" and len(data) == 4 + 256 + 1024
    assert decode_base_message(data, CARD.card_serial) == CARD


@pytest.mark.parametrize(("data", "why"), [
    (b"\x01", "shorter"), (b"\x01\x00\x04\x00" + bytes(100), "says text 256"),
    (b"\x01\x00\x02\x00" + bytes(256 + 512), "photo 512"),
])
def test_a_base_message_of_the_wrong_shape_is_unreadable(data: bytes, why: str) -> None:
    with pytest.raises(CardUnreadable, match=why) as caught:
        decode_base_message(data)
    assert caught.value.field == "base_message"


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("name", "张\x00三"), ("sex", "3"), ("sex", "0"), ("ethnicity", "57"), ("ethnicity", "1"),
    ("birth_date", "19850230"), ("birth_date", "1985031"), ("birth_date", "１９８５０３１２"), ("address", ""),
    ("id_number", "31010419850312131"), ("id_number", "31010419850312131x"), ("issuing_authority", ""),
    ("valid_from", "长期"), ("valid_to", "20360431"),
])
def test_invalid_content_is_unreadable_and_names_the_field(field: str, value: str) -> None:
    with pytest.raises(CardUnreadable) as caught:
        decode_text_record(_with_field(field, value), PHOTO)
    assert caught.value.field == field
    assert caught.value.reason == "card_unreadable"
    assert field in caught.value.message and caught.value.message_zh


def test_text_that_is_not_ucs2_is_unreadable() -> None:
    raw = bytearray(encode_text_record(CARD))
    raw[0:2] = b"\x00\xd8"  # half of a surrogate pair: no character of its own
    with pytest.raises(CardUnreadable) as caught:
        decode_text_record(bytes(raw), PHOTO)
    assert caught.value.field == "name"


def test_a_text_record_of_the_wrong_size_is_unreadable() -> None:
    with pytest.raises(CardUnreadable, match="255 bytes"):
        decode_text_record(encode_text_record(CARD)[:-1], PHOTO)


def test_a_name_too_long_for_the_card_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="name takes at most 15"):
        encode_text_record(replace(CARD, name="张" * 16))


def test_the_card_read_event_is_json_ready_and_reads_back() -> None:
    event = CARD.to_event()
    assert event["birth_date"] == "1985-03-12" and event["valid_to"] == "2036-04-01"
    assert base64.b64decode(event["photo"]) == PHOTO
    assert CardRecord.from_event(event) == CARD
    assert CardRecord.from_event(replace(CARD, valid_to=None).to_event()).valid_to is None


def test_a_record_in_a_log_shows_the_number_masked_and_not_the_photo() -> None:
    shown = repr(CARD)
    assert "310104********1315" in shown and CARD.id_number not in shown
    assert "1024 bytes" in shown
