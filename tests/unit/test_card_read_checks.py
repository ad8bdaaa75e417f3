"""A card read's own checks (R2): which reason a read gets before the authority is asked."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from realname_codes.id_numbers import make_id_number
from realname_identity.checks import check_card
from realname_identity.reads import typed_card

TODAY = date(2026, 11, 25)
NUMBER = make_id_number("310104", date(1985, 3, 15), 11)  # a man's


def card(**changes: Any) -> dict[str, Any]:
    raw = {"name": "王建国", "sex": "male", "ethnicity": "01", "birth_date": "1985-03-15",
           "address": "上海市徐汇区漕溪北路1号", "id_number": NUMBER, "issuing_authority": "上海市公安局徐汇分局",
           "valid_from": "2016-05-01", "valid_to": "2036-05-01"}
    raw.update(changes)
    return typed_card(raw)


def reason(**changes: Any) -> str | None:
    found = check_card(card(**changes), TODAY)
    return None if found is None else found.reason


def test_a_sound_card_goes_to_the_authority() -> None:
    assert check_card(card(), TODAY) is None


def test_a_long_term_card_goes_to_the_authority() -> None:
    born = date(1960, 3, 15)
    assert reason(id_number=make_id_number("310104", born, 11), birth_date=born.isoformat(),
                  valid_from="2010-05-01", valid_to=None) is None


def test_a_wrong_check_character_is_number_invalid_and_says_which_field() -> None:
    bad = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    found = check_card(card(id_number=bad), TODAY)
    assert found is not None and found.reason == "number_invalid"
    assert found.detail.startswith("identity.id_number") and found.message_zh


def test_a_card_past_its_validity_is_card_expired() -> None:
    assert reason(valid_from="2000-05-01", valid_to="2020-05-01") == "card_expired"


def test_a_number_invalid_card_is_reported_as_such_even_when_it_has_also_expired() -> None:
    assert reason(id_number="310104198503150000", valid_from="2000-05-01", valid_to="2020-05-01") == "number_invalid"


def test_a_sex_that_contradicts_the_number_is_sex_mismatch_not_unreadable() -> None:
    found = check_card(card(sex="female"), TODAY)
    assert found is not None and found.reason == "sex_mismatch"
    assert "第17位" in found.message_zh and found.detail.startswith("identity.sex")


def test_a_birth_date_that_contradicts_the_number_is_birth_date_mismatch() -> None:
    assert reason(birth_date="1985-03-16") == "birth_date_mismatch"


def test_a_validity_impossible_for_the_age_is_validity_impossible_not_unreadable() -> None:
    found = check_card(card(valid_from="2024-05-01", valid_to="2029-05-01"), TODAY)  # 5 years at 39
    assert found is not None and found.reason == "validity_impossible"
    assert "年龄" in found.message_zh
    assert reason(valid_from="2020-05-01", valid_to="2027-05-01") == "validity_impossible"  # 7 years: none


def test_a_date_that_is_no_date_is_unreadable() -> None:
    assert reason(valid_from="2016-13-01") == "unreadable"


def test_a_missing_address_or_authority_is_unreadable() -> None:
    assert reason(address="   ") == "unreadable"
    assert reason(issuing_authority="\x00") == "unreadable"


@given(st.text(min_size=1, max_size=40))
def test_any_name_a_card_cannot_carry_is_refused_and_never_crashes(name: str) -> None:
    found = check_card(card(name=name), TODAY)
    assert found is None or found.reason == "unreadable"
