"""GB 32100-2015 unified social credit codes: what the registry accepts and how it explains a refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.uscc import (
    USCC_ALPHABET,
    normalise_uscc,
    organisation_code_check_character,
    uscc_check_character,
    uscc_problem,
)

VALID_CODES = ("91350100M000100Y43", "9131000013221158XC")


def _with(code: str, position: int, character: str) -> str:
    return code[:position] + character + code[position + 1:]


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    """Any code built by the rules: two alphabet characters, a six-digit region, a checked org code."""
    head = draw(st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2))
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    org_body = draw(st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8))
    org_check = organisation_code_check_character(org_body)
    assert org_check is not None
    first17 = head + region + org_body + org_check
    return first17 + uscc_check_character(first17)


@pytest.mark.parametrize("code", VALID_CODES)
def test_a_known_valid_code_is_accepted(code: str) -> None:
    assert uscc_problem(code) is None


@given(code=st.sampled_from(VALID_CODES), data=st.data())
def test_any_single_mistyped_character_of_a_valid_code_is_refused(code: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    replacement = data.draw(st.sampled_from(USCC_ALPHABET).filter(lambda c: c != code[position]),
                            label="replacement")
    assert uscc_problem(_with(code, position, replacement)) is not None


@given(code=valid_codes())
def test_appending_the_computed_check_character_to_any_well_formed_body_gives_a_valid_code(code: str) -> None:
    assert uscc_problem(code) is None


def test_a_mistyped_check_character_is_refused_with_the_right_one() -> None:
    problem = uscc_problem(_with(VALID_CODES[0], 17, "4"))
    assert problem is not None
    assert "should be 3" in problem
    assert "not 4" in problem


@pytest.mark.parametrize("code", ["", VALID_CODES[0][:17], VALID_CODES[0] + "0", VALID_CODES[0] * 2])
def test_a_code_of_the_wrong_length_is_refused_naming_eighteen_characters(code: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None
    assert "18 characters" in problem
    assert f"has {len(code)}" in problem


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_a_letter_the_standard_never_uses_is_refused_by_name(letter: str) -> None:
    problem = uscc_problem(_with(VALID_CODES[0], 10, letter))
    assert problem is not None
    assert letter in problem.split(":")[1]


def test_a_code_in_lower_case_is_refused_naming_the_lower_case_letters() -> None:
    problem = uscc_problem(VALID_CODES[1].lower())
    assert problem is not None
    assert "c" in problem.split(":")[1]
    assert "x" in problem.split(":")[1]


@pytest.mark.parametrize("position", range(2, 8))
def test_a_letter_in_the_region_code_is_refused_as_a_region_problem(position: int) -> None:
    problem = uscc_problem(_with(VALID_CODES[0], position, "A"))
    assert problem is not None
    assert "region" in problem


@pytest.mark.parametrize("code", VALID_CODES)
def test_a_code_whose_final_check_is_right_but_whose_organisation_code_is_wrong_is_refused(code: str) -> None:
    org_check = code[16]
    wrong = next(c for c in "0123456789X" if c != org_check)
    first17 = code[:16] + wrong
    forged = first17 + uscc_check_character(first17)
    assert forged[17] == uscc_check_character(forged[:17])  # the outer check passes
    problem = uscc_problem(forged)
    assert problem is not None
    assert "organisation code" in problem
    assert f"{code[8:16]}-{wrong}" in problem


def test_the_organisation_code_check_of_a_body_with_bad_characters_is_none() -> None:
    assert organisation_code_check_character("M00010-Y") is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("  91350100m000100y43\n", "91350100M000100Y43"),
    ("\t9131000013221158xc ", "9131000013221158XC"),
    ("9131000013221158XC", "9131000013221158XC"),
])
def test_normalising_a_code_trims_it_and_upper_cases_it(raw: str, expected: str) -> None:
    assert normalise_uscc(raw) == expected
    assert uscc_problem(normalise_uscc(raw)) is None
