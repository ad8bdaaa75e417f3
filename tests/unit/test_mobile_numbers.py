"""Mainland mobile numbers: 11 digits starting 13 to 19, however they were typed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.phones import mobile_problem, normalise_mobile

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(number=mobiles)
def test_any_mainland_mobile_number_is_accepted(number: str) -> None:
    assert mobile_problem(number) is None


@given(number=mobiles, prefix=st.sampled_from(["", "+86", "0086", "+86 "]), separator=st.sampled_from(" -"))
def test_a_mobile_number_with_country_prefix_and_separators_is_accepted(number: str, prefix: str,
                                                                         separator: str) -> None:
    typed = f"{prefix}{number[:3]}{separator}{number[3:7]}{separator}{number[7:]}"
    assert mobile_problem(typed) is None
    assert normalise_mobile(typed) == number


@given(digits=st.text(alphabet="0123456789", max_size=14).filter(lambda d: not re.fullmatch(r"1[3-9]\d{9}", d)))
def test_any_other_string_of_digits_is_refused(digits: str) -> None:
    problem = mobile_problem(digits)
    assert problem is not None
    assert problem.reason == "phone_invalid"


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "138001380000", "021-64371234", "1380013800O",
                                 "86 13800138000"])
def test_a_number_that_is_not_a_mainland_mobile_is_refused_with_an_example(raw: str) -> None:
    problem = mobile_problem(raw)
    assert problem is not None
    assert "13800138000" in problem.message
    assert "13800138000" in problem.message_zh


def test_full_width_digits_are_read_as_digits() -> None:
    assert mobile_problem("１３８００１３８０００") is None
