"""The identity application over PC/SC: SELECT, READ BINARY in chunks, TLV fields checked as the SAM record's are."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.ethnicities import ETHNICITIES
from realname_codes.id_numbers import make_id_number
from realname_edge.card import CardRecord
from realname_edge.drivers.pcsc_mappings import (
    FILE_TAG,
    IDCN_AID,
    MAX_CHUNK,
    IdcnApplication,
    IdentityApplicationAbsent,
    decode_identity_file,
    encode_identity_file,
    identity_values,
    tlv,
)
from realname_edge.errors import CardUnreadable

BORN = date(1979, 11, 3)
CARD = CardRecord(name="阿依古丽·样本", sex="female", ethnicity="05", birth_date=BORN,
                  address="新疆维吾尔自治区乌鲁木齐市天山区样本街7号", id_number=make_id_number("650102", BORN, 248),
                  issuing_authority="乌鲁木齐市公安局天山分局", valid_from=date(2015, 6, 30), valid_to=None,
                  photo=bytes(range(256)) * 4)
SELECT = [0x00, 0xA4, 0x04, 0x00, 0x09, *IDCN_AID]

hanzi = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


@dataclass
class FakeCard:
    """A card holding ``file``; answers at most ``largest`` bytes at once, like a reader with a small buffer."""

    file: bytes
    select_status: int = 0x9000
    read_status: int | None = None  # answered to every READ BINARY instead of the data
    largest: int = 0x100
    t0: bool = False  # answers as a T=0 card: 6Cxx for a wrong Le, 61xx before the data
    end_status: int = 0x6B00  # READ BINARY past the end of the file
    apdus: list[list[int]] = field(default_factory=list)
    _waiting: bytes = b""

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        self.apdus.append(apdu)
        if apdu == SELECT:
            return [], self.select_status >> 8, self.select_status & 0xFF
        if apdu[:2] == [0x00, 0xB0]:
            return self._read_binary(apdu[2] << 8 | apdu[3], apdu[4])
        if apdu[:4] == [0x00, 0xC0, 0x00, 0x00] and self._waiting:
            data, self._waiting = self._waiting, b""
            return list(data), 0x90, 0x00
        return [], 0x6D, 0x00

    def _read_binary(self, offset: int, length: int) -> tuple[list[int], int, int]:
        if self.read_status is not None:
            return [], self.read_status >> 8, self.read_status & 0xFF
        if offset >= len(self.file):
            return [], self.end_status >> 8, self.end_status & 0xFF
        piece = self.file[offset:offset + min(length, self.largest)]
        if self.t0 and length != len(piece):
            return [], 0x6C, len(piece)
        if self.t0:
            self._waiting = piece
            return [], 0x61, len(piece)
        return list(piece), 0x90, 0x00

    def reads(self) -> list[list[int]]:
        return [apdu for apdu in self.apdus if apdu[:2] == [0x00, 0xB0]]


def _file_with(*replaced: tuple[int, bytes], dropped: int | None = None, added: bytes = b"") -> bytes:
    """CARD's identity file with some fields' values replaced, one tag left out, or raw TLVs added."""
    values = dict(identity_values(CARD)) | dict(replaced)
    body = b"".join(tlv(tag, value) for tag, value in values.items() if tag != dropped) + added
    return tlv(FILE_TAG, body)


def _unreadable_field(file: bytes) -> str | None:
    with pytest.raises(CardUnreadable) as caught:
        IdcnApplication().read_identity(FakeCard(file).transmit)
    return caught.value.field


@given(name=st.lists(hanzi, min_size=1, max_size=15).map("".join),
       address=st.text(hanzi | st.sampled_from("0123456789号-"), min_size=1, max_size=35),
       authority=st.text(hanzi, min_size=1, max_size=15), sex=st.sampled_from(["male", "female"]),
       ethnicity=st.sampled_from(sorted(ETHNICITIES)), born=dates, sequence=st.integers(0, 999),
       valid_from=dates, valid_to=st.none() | dates, photo=st.binary(min_size=1024, max_size=1024),
       chunk=st.integers(1, MAX_CHUNK), largest=st.integers(1, 0x100))
def test_a_card_read_in_any_chunks_gives_back_exactly_its_record(
        name: str, address: str, authority: str, sex: str, ethnicity: str, born: date, sequence: int,
        valid_from: date, valid_to: date | None, photo: bytes, chunk: int, largest: int) -> None:
    card = replace(CARD, name=name, sex="male" if sex == "male" else "female", ethnicity=ethnicity, birth_date=born,
                   address=address, id_number=make_id_number("510104", born, sequence),
                   issuing_authority=authority, valid_from=valid_from, valid_to=valid_to, photo=photo)
    assert IdcnApplication(chunk=chunk).read_identity(FakeCard(encode_identity_file(card), largest=largest)
                                                      .transmit) == card


def test_the_identity_file_is_one_tlv_with_a_utf8_tlv_per_field() -> None:
    file = encode_identity_file(CARD)
    assert file[:4] == bytes([0x70, 0x82]) + (len(file) - 4).to_bytes(2, "big")
    name = CARD.name.encode("utf-8")
    assert file[4:6 + len(name)] == bytes([0x80, len(name)]) + name
    assert tlv(0x88, "长期".encode()) in file
    assert bytes([0x89, 0x82, 0x04, 0x00]) + CARD.photo in file


def test_the_card_is_selected_then_read_in_chunks_of_at_most_e0_bytes_up_to_the_declared_length() -> None:
    file = encode_identity_file(CARD)
    card = FakeCard(file + bytes(300))  # the file is bigger than its content: the rest is never asked for
    assert IdcnApplication().read_identity(card.transmit) == CARD
    assert card.apdus[0] == SELECT
    offsets = list(range(0, len(file), MAX_CHUNK))
    assert card.reads() == [[0x00, 0xB0, at >> 8, at & 0xFF, min(MAX_CHUNK, len(file) - at) if at else MAX_CHUNK]
                            for at in offsets]


def test_a_t0_card_is_read_through_get_response_and_the_length_it_asks_for() -> None:
    card = FakeCard(encode_identity_file(CARD), largest=0x60, t0=True)
    assert IdcnApplication().read_identity(card.transmit) == CARD
    assert [0x00, 0xC0, 0x00, 0x00, 0x60] in card.apdus


def test_a_card_that_keeps_saying_it_has_more_is_unreadable() -> None:
    def babbling(apdu: list[int]) -> tuple[list[int], int, int]:
        return ([], 0x90, 0x00) if apdu == SELECT else ([0x70], 0x61, 0x01)

    with pytest.raises(CardUnreadable, match="GET RESPONSE"):
        IdcnApplication().read_identity(babbling)


@pytest.mark.parametrize("status", [0x6A82, 0x6A81, 0x6D00, 0x6E00])
def test_a_reader_without_the_identity_application_says_so_with_the_status(status: int) -> None:
    with pytest.raises(IdentityApplicationAbsent, match=f"{status:04X}"):
        IdcnApplication().read_identity(FakeCard(encode_identity_file(CARD), select_status=status).transmit)


def test_a_select_refused_for_another_reason_is_unreadable() -> None:
    card = FakeCard(encode_identity_file(CARD), select_status=0x6982)
    with pytest.raises(CardUnreadable, match="SELECT answered 6982") as caught:
        IdcnApplication().read_identity(card.transmit)
    assert caught.value.field == "select"


@pytest.mark.parametrize("status", [0x6982, 0x6A82, 0x6700, 0x6F00])
def test_a_read_binary_refused_is_unreadable_with_its_status(status: int) -> None:
    card = FakeCard(encode_identity_file(CARD), read_status=status)
    with pytest.raises(CardUnreadable, match=f"offset 0 answered {status:04X}") as caught:
        IdcnApplication().read_identity(card.transmit)
    assert caught.value.field == "identity_file"


def test_a_card_giving_more_than_it_was_asked_for_is_unreadable() -> None:
    def generous(apdu: list[int]) -> tuple[list[int], int, int]:
        return ([], 0x90, 0x00) if apdu == SELECT else (list(encode_identity_file(CARD)[:0x100]), 0x90, 0x00)

    with pytest.raises(CardUnreadable, match="gave 256 bytes for 224"):
        IdcnApplication().read_identity(generous)


@pytest.mark.parametrize("end_status", [0x6B00, 0x6282, 0x9000])
def test_a_file_cut_short_of_its_declared_length_is_unreadable(end_status: int) -> None:
    file = encode_identity_file(CARD)[:-100]
    with pytest.raises(CardUnreadable) as caught:
        IdcnApplication().read_identity(FakeCard(file, end_status=end_status).transmit)
    assert caught.value.field == "identity_file"
    assert str(len(file)) in caught.value.detail


def test_decoding_a_file_shorter_than_it_declares_is_unreadable() -> None:
    with pytest.raises(CardUnreadable, match="shorter than the file declares"):
        decode_identity_file(encode_identity_file(CARD)[:-1])


def test_an_empty_file_is_unreadable() -> None:
    assert _unreadable_field(b"") == "identity_file"


def test_a_file_that_is_not_the_identity_template_is_unreadable() -> None:
    with pytest.raises(CardUnreadable, match="starts with tag 6F, not 70"):
        decode_identity_file(b"\x6f" + encode_identity_file(CARD)[1:])


def test_a_file_declaring_more_than_read_binary_reaches_is_unreadable() -> None:
    with pytest.raises(CardUnreadable, match="more than READ BINARY reaches"):
        decode_identity_file(bytes([0x70, 0x82, 0x80, 0x00]))


def test_a_length_in_a_form_that_is_not_short_81_or_82_is_unreadable() -> None:
    with pytest.raises(CardUnreadable, match="length byte 83"):
        decode_identity_file(bytes([0x70, 0x83, 0x00, 0x00, 0x10]))


def test_an_unknown_tag_is_unreadable() -> None:
    with pytest.raises(CardUnreadable, match="unknown tag 9F"):
        decode_identity_file(_file_with(added=tlv(0x9F, b"x")))


def test_a_repeated_tag_is_unreadable_naming_its_field() -> None:
    assert _unreadable_field(_file_with(added=tlv(0x84, "北京市".encode()))) == "address"


@pytest.mark.parametrize(("tag", "name"), [(0x80, "name"), (0x85, "id_number"), (0x88, "valid_to"),
                                           (0x89, "photo")])
def test_a_missing_tag_is_unreadable_naming_its_field(tag: int, name: str) -> None:
    assert _unreadable_field(_file_with(dropped=tag)) == name


def test_a_field_running_past_the_end_of_the_file_is_unreadable() -> None:
    body = b"".join(tlv(tag, value) for tag, value in identity_values(CARD)) + bytes([0x84, 0x20]) + b"x" * 4
    with pytest.raises(CardUnreadable, match="runs past the end") as caught:
        decode_identity_file(tlv(FILE_TAG, body))
    assert caught.value.field == "address"


@pytest.mark.parametrize(("tag", "value"), [(0x83, "19790230"), (0x83, "1979-11-03"), (0x83, "长期"),
                                            (0x87, "20151330"), (0x87, ""), (0x88, "20360631"),
                                            (0x88, "长 期")])
def test_a_date_that_is_not_a_real_yyyymmdd_is_unreadable(tag: int, value: str) -> None:
    names = {0x83: "birth_date", 0x87: "valid_from", 0x88: "valid_to"}
    assert _unreadable_field(_file_with((tag, value.encode()))) == names[tag]


def test_a_card_valid_until_a_date_gives_that_date() -> None:
    card = FakeCard(_file_with((0x88, b"20350630")))
    assert IdcnApplication().read_identity(card.transmit).valid_to == date(2035, 6, 30)


@pytest.mark.parametrize(("tag", "value", "name"), [
    (0x80, "", "name"), (0x80, "张三\n", "name"), (0x80, " 张三", "name"), (0x80, "张" * 16, "name"),
    (0x81, "0", "sex"), (0x81, "M", "sex"), (0x82, "57", "ethnicity"), (0x82, "5", "ethnicity"),
    (0x84, "地" * 36, "address"), (0x85, "65010219791103248", "id_number"),
    (0x85, "65010219791103248x", "id_number"), (0x86, "", "issuing_authority"),
])
def test_a_bad_text_field_is_unreadable_naming_it(tag: int, value: str, name: str) -> None:
    assert _unreadable_field(_file_with((tag, value.encode()))) == name


def test_text_that_is_not_utf8_is_unreadable() -> None:
    assert _unreadable_field(_file_with((0x80, CARD.name.encode("utf-16-le")))) == "name"


def test_a_photo_of_another_length_is_unreadable() -> None:
    assert _unreadable_field(_file_with((0x89, bytes(1000)))) == "photo"


def test_a_chunk_outside_what_read_binary_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="1 to 224"):
        IdcnApplication(chunk=0xE1)
