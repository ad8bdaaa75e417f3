"""Masks (R4): show as much as privacy allows so that a person can compare, and never more."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_kit.privacy import mask_bank_card, mask_id_number, mask_phone, normalise


@pytest.mark.parametrize(("value", "masked"), [
    ("310104199001011234", "310104********1234"),
    ("31010419900101123X", "310104********123X"),
    ("31010419900101123x", "310104********123X"),
    (" 310104 19900101 123X ", "310104********123X"),
    ("３１０１０４１９９００１０１１２３Ｘ", "310104********123X"),
    ("310104900101123", "310104*****1123"),  # the old 15-digit number
    ("4101041990010160001", "***************0001"),  # 19 characters: not an ID number, last four only
    ("3101041990010", "*********0010"),
    ("12345678", "****5678"),
    ("1234567", "*******"),
    ("X", "*"),
    ("", ""),
    ("   ", ""),
    (None, ""),
])
def test_id_numbers_show_region_and_last_four(value: str | None, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("13812345678", "138****5678"),
    ("138 1234 5678", "138****5678"),
    ("+86 138-1234-5678", "138****5678"),
    ("008613812345678", "138****5678"),
    ("021-64381234", "021****1234"),
    ("64381234", "****1234"),
    ("1234567", "*******"),
    ("110", "***"),
    ("no phone", ""),
    ("", ""),
    (None, ""),
])
def test_phones_show_first_three_and_last_four(value: str | None, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("6222021234567890123", "**** **** **** 0123"),
    ("6222 0212 3456 7890", "**** **** **** 7890"),
    ("6222-0212-3456-7890-123", "**** **** **** 0123"),
    ("12345678", "**** **** **** 5678"),
    ("1234567", "**** **** **** ****"),
    ("12", "**** **** **** ****"),
    ("none", ""),
    ("", ""),
    (None, ""),
])
def test_bank_cards_show_last_four_only(value: str | None, masked: str) -> None:
    assert mask_bank_card(value) == masked


def _revealed(mask: str, clean: str) -> str:
    """The characters a mask shows, each checked to stand where it stands in the (normalised) input."""
    assert len(mask) == len(clean)
    assert all(m in ("*", c) for m, c in zip(mask, clean, strict=True))
    return mask.replace("*", "")


@given(st.one_of(st.text(), st.text(alphabet="0123456789Xx ", max_size=25)))
def test_an_id_number_mask_reveals_at_most_region_and_last_four(value: str) -> None:
    clean = normalise(value, "id_number")
    revealed = _revealed(mask_id_number(value), clean)
    if len(clean) in (15, 18):
        assert len(revealed) <= 10
    else:
        assert len(revealed) <= min(4, len(clean) // 2)


@given(st.one_of(st.text(), st.text(alphabet="0123456789 -+", max_size=30)))
def test_a_phone_mask_reveals_at_most_seven_digits(value: str) -> None:
    digits = normalise(value, "phone")
    revealed = _revealed(mask_phone(value), digits)
    assert len(revealed) <= (7 if len(digits) == 11 else min(4, len(digits) // 2))


@given(st.one_of(st.text(), st.text(alphabet="0123456789 ", max_size=30)))
def test_a_bank_card_mask_reveals_at_most_the_last_four_digits(value: str) -> None:
    mask, digits = mask_bank_card(value), normalise(value, "bank_card")
    assert len(mask) == (19 if digits else 0)
    assert mask[:15] in ("", "**** **** **** ")
    revealed = mask[15:].replace("*", "")
    assert revealed in ("", digits[-4:]) and len(revealed) <= min(4, len(digits) // 2)
