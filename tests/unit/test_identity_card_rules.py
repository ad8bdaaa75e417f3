"""The identity read from a card: the number, the name, the ethnicity and the validity period agree."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.id_numbers import make_id_number
from realname_codes.identity_card import check_identity

TODAY = date(2025, 6, 15)
BORN = date(1980, 5, 17)


def _identity(**changes: Any) -> dict[str, Any]:
    identity = {"name": "张三", "sex": "male", "ethnicity": "01", "birth_date": BORN, "address": "上海市徐汇区",
                "id_number": make_id_number("310104", BORN, 123), "issuing_authority": "上海市公安局徐汇分局",
                "valid_from": date(2015, 3, 1), "valid_to": date(2035, 3, 1)}
    return identity | changes


def _reasons(identity: dict[str, Any], today: date = TODAY) -> dict[str, str]:
    return {f.field: f.reason for f in check_identity(identity, today)}


def _age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _plus_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def test_a_consistent_card_has_no_findings() -> None:
    assert check_identity(_identity(), TODAY) == []


def test_an_invalid_number_is_reported_on_the_number_with_its_own_reason_and_nothing_compared_with_it() -> None:
    assert _reasons(_identity(id_number="31010419800517123")) == {"identity.id_number": "id_number_length"}


def test_a_sex_that_contradicts_the_number_is_refused() -> None:
    assert _reasons(_identity(sex="female")) == {"identity.sex": "sex_mismatch"}


def test_a_birth_date_that_contradicts_the_number_is_refused() -> None:
    assert _reasons(_identity(birth_date=date(1980, 5, 18))) == {"identity.birth_date": "birth_date_mismatch"}


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "爱新觉罗·溥仪", "李〇", "Zhang", " 王五 ",
                                  "张" * 30])
def test_a_well_formed_name_is_accepted(name: str) -> None:
    assert check_identity(_identity(name=name), TODAY) == []


@pytest.mark.parametrize("name", ["", None, "张三1", "·张三", "张三·", "张··三", "张 三", "张三.", "张" * 31,
                                  "阿依古丽•买买提"])
def test_a_malformed_name_is_refused(name: str | None) -> None:
    assert _reasons(_identity(name=name)) == {"identity.name": "name_invalid"}


@pytest.mark.parametrize("code", ["00", "57", "1", "汉族", None])
def test_an_ethnicity_that_is_not_a_gb_3304_code_is_refused(code: str | None) -> None:
    assert _reasons(_identity(ethnicity=code)) == {"identity.ethnicity": "ethnicity_unknown"}


def test_a_card_whose_validity_starts_in_the_future_is_refused() -> None:
    assert _reasons(_identity(valid_from=TODAY + timedelta(days=1), valid_to=date(2045, 6, 16))) == {
        "identity.valid_from": "card_validity_invalid"}


def test_a_card_valid_from_before_the_birth_date_is_refused() -> None:
    assert _reasons(_identity(valid_from=date(1980, 5, 16), valid_to=date(1985, 5, 16))) == {
        "identity.valid_from": "card_validity_invalid"}


def test_a_card_that_expired_yesterday_is_refused_and_one_that_expires_today_is_not() -> None:
    expired = _identity(valid_from=date(2015, 6, 14), valid_to=date(2025, 6, 14))
    assert _reasons(expired) == {"identity.valid_to": "card_expired"}
    assert check_identity(_identity(valid_from=date(2015, 6, 15), valid_to=TODAY), TODAY) == []


@given(born=st.dates(min_value=date(1930, 1, 1), max_value=TODAY), data=st.data(),
       years=st.sampled_from([5, 10, 20, None]))
def test_a_validity_period_is_accepted_exactly_when_it_fits_the_age_at_issue_or_the_band_below(
        born: date, data: st.DataObject, years: int | None) -> None:
    valid_from = data.draw(st.dates(min_value=born, max_value=TODAY), label="valid_from")
    valid_to = None if years is None else _plus_years(valid_from, years)
    age = _age(born, valid_from)
    fitting = {5} if age < 16 else {5, 10} if age < 26 else {10, 20} if age < 46 else {20, None}
    identity = _identity(birth_date=born, id_number=make_id_number("310104", born, 123), valid_from=valid_from,
                         valid_to=valid_to)
    refused = "validity_impossible" in {f.reason for f in check_identity(identity, TODAY)}
    assert refused == (years not in fitting)


@given(extra_days=st.integers(min_value=1, max_value=364), years=st.sampled_from([5, 10, 20]))
def test_a_period_that_is_not_a_whole_number_of_standard_years_is_refused(extra_days: int, years: int) -> None:
    valid_to = date(2015, 3, 1).replace(year=2015 + years) + timedelta(days=extra_days)
    assert _reasons(_identity(valid_to=valid_to))["identity.valid_to"] == "card_validity_invalid"


def test_a_long_term_card_is_refused_under_46_and_accepted_from_46() -> None:
    today = date(2026, 6, 1)
    at_45 = _identity(valid_from=date(2026, 5, 16), valid_to=None)
    assert _reasons(at_45, today) == {"identity.valid_to": "validity_impossible"}
    assert check_identity(_identity(valid_from=date(2026, 5, 17), valid_to=None), today) == []


@pytest.mark.parametrize(("valid_to", "accepted"), [(date(2013, 2, 28), True), (date(2013, 3, 1), True),
                                                    (date(2013, 2, 27), False), (date(2013, 3, 2), False)])
def test_a_card_issued_on_february_29_may_end_on_february_28_or_march_1(valid_to: date, accepted: bool) -> None:
    born = date(2001, 7, 1)  # six at issue: a five-year card
    identity = _identity(birth_date=born, id_number=make_id_number("310104", born, 11), valid_from=date(2008, 2, 29),
                         valid_to=valid_to)
    today = date(2008, 3, 1)
    assert (check_identity(identity, today) == []) == accepted


han_names = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=14)


@given(parts=st.lists(han_names, min_size=1, max_size=2))
def test_any_name_of_chinese_characters_in_parts_joined_by_a_middle_dot_is_accepted(parts: list[str]) -> None:
    assert check_identity(_identity(name="·".join(parts)), TODAY) == []


@given(name=han_names, position=st.integers(0, 15), intruder=st.sampled_from("0123456789_-.,;!?@ \t"))
def test_a_digit_or_punctuation_anywhere_inside_a_name_is_refused(name: str, position: int, intruder: str) -> None:
    assert _reasons(_identity(name="张" + name[:position] + intruder + name[position:] + "张")) == {
        "identity.name": "name_invalid"}
