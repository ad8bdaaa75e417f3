"""Wage-card numbers (R8): 12 to 19 digits, and the Luhn check that flags a mistyped digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.bank_cards import luhn_valid, normalise_card_number, wage_card_problem


def _luhn_digit(body: str) -> str:
    """The digit that completes ``body``: every second digit from the right of the full number doubled."""
    doubled = [int(c) * 2 for c in body[::-2]]
    kept = [int(c) for c in body[-2::-2]]
    total = sum(d // 10 + d % 10 for d in doubled) + sum(kept)
    return str(-total % 10)


card_bodies = st.text(alphabet="0123456789", min_size=11, max_size=18)


@pytest.mark.parametrize("number", ["4111111111111111", "79927398713", "6222020200112233446", "0"])
def test_known_luhn_numbers_pass(number: str) -> None:
    assert luhn_valid(number)


@given(body=card_bodies)
def test_a_number_completed_with_its_luhn_digit_passes(body: str) -> None:
    assert luhn_valid(body + _luhn_digit(body))


@given(body=card_bodies, data=st.data())
def test_any_single_mistyped_digit_fails_the_luhn_check(body: str, data: st.DataObject) -> None:
    number = body + _luhn_digit(body)
    position = data.draw(st.integers(0, len(number) - 1), label="position")
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[position]), label="by")
    assert not luhn_valid(number[:position] + digit + number[position + 1:])


@pytest.mark.parametrize("text", ["", "4111 1111 1111 1111", "411111111111111a", "４１１１"])
def test_luhn_is_only_computed_on_plain_ascii_digits(text: str) -> None:
    assert not luhn_valid(text)


@given(digits=st.text(alphabet="0123456789", min_size=12, max_size=19))
def test_any_twelve_to_nineteen_digits_are_a_well_formed_card_number(digits: str) -> None:
    assert wage_card_problem(digits) is None


@pytest.mark.parametrize("raw", ["6222 0202 0011 2233 449", "6222-0202-0011-2233-449", "６２２２０２０２００１１"])
def test_a_card_number_as_printed_with_spaces_or_dashes_is_well_formed(raw: str) -> None:
    assert wage_card_problem(raw) is None
    assert normalise_card_number(raw).isdigit()


@given(digits=st.text(alphabet="0123456789", max_size=25).filter(lambda d: not 12 <= len(d) <= 19))
def test_a_card_number_of_any_other_length_is_refused(digits: str) -> None:
    problem = wage_card_problem(digits)
    assert problem is not None
    assert problem.reason == "wage_card_format"


@pytest.mark.parametrize("raw", ["62220202001122334A", "6222020200112233.4", "card 622202020011"])
def test_a_card_number_with_letters_or_signs_is_refused(raw: str) -> None:
    assert wage_card_problem(raw) is not None
