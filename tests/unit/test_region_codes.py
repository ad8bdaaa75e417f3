"""GB/T 2260 region codes: every code that ever existed is known, under the name it last had."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.regions import region_exists, region_name


@pytest.mark.parametrize(("code", "name"), [
    ("310104", "徐汇区"),
    ("110000", "北京市"),
    ("440305", "南山区"),
    ("310100", "市辖区"),
])
def test_a_current_code_is_known_by_its_name(code: str, name: str) -> None:
    assert region_name(code) == name
    assert region_exists(code)


@pytest.mark.parametrize(("code", "name"), [("310103", "卢湾区"), ("440524", "潮阳县")])
def test_an_abolished_code_is_still_known_because_old_cards_carry_it(code: str, name: str) -> None:
    assert region_name(code) == name
    assert region_exists(code)


@pytest.mark.parametrize(("code", "name"), [("120110", "东丽区"), ("130123", "正定县")])
def test_a_code_that_was_renamed_is_known_by_its_most_recent_name(code: str, name: str) -> None:
    assert region_name(code) == name


@pytest.mark.parametrize("code", ["999999", "000000", "31010", "3101044", "", "31010A"])
def test_a_code_that_never_existed_is_unknown(code: str) -> None:
    assert region_name(code) is None
    assert not region_exists(code)


@given(code=st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_a_code_exists_exactly_when_it_has_a_name(code: str) -> None:
    name = region_name(code)
    assert region_exists(code) == (name is not None)
    assert name is None or name.strip()
