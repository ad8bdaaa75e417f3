"""R34 age limits, at their exact boundaries: the birthday itself is still inside, the day after is not."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.trades import HIGH_RISK_TRADES, MANAGEMENT_TRADE, TRADES
from realname_registry.rules.age_limits import check_age

Sex = Literal["male", "female"]
DAY = timedelta(days=1)
births = st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31))
sexes: st.SearchStrategy[Sex] = st.sampled_from(["male", "female"])
ordinary_trades = st.sampled_from(sorted(set(TRADES) - HIGH_RISK_TRADES - {MANAGEMENT_TRADE}))
high_risk_trades = st.sampled_from(sorted(HIGH_RISK_TRADES))


def _birthday(born: date, years: int) -> date:
    """A Feb-29 birthday falls on Mar 1 in a year without Feb 29."""
    if (born.month, born.day) == (2, 29) and (born.year + years) % 4:
        return date(born.year + years, 3, 1)
    return born.replace(year=born.year + years)


def _reasons(born: date, sex: Sex, trade: str | None, today: date) -> list[str]:
    return [f.reason for f in check_age(born, sex, trade, today)]


@given(born=births, sex=sexes, trade=st.one_of(st.none(), st.sampled_from(sorted(TRADES))))
def test_nobody_is_registered_the_day_before_their_18th_birthday_and_anybody_may_be_on_it(
        born: date, sex: Sex, trade: str | None) -> None:
    assert _reasons(born, sex, trade, _birthday(born, 18) - DAY) == ["too_young"]
    assert "too_young" not in _reasons(born, sex, trade, _birthday(born, 18))


@given(born=births, trade=st.one_of(st.none(), ordinary_trades))
def test_a_man_may_be_registered_on_his_60th_birthday_but_not_the_day_after(born: date, trade: str | None) -> None:
    assert _reasons(born, "male", trade, _birthday(born, 60)) == []
    assert _reasons(born, "male", trade, _birthday(born, 60) + DAY) == ["too_old"]


@given(born=births, trade=st.one_of(st.none(), ordinary_trades))
def test_a_woman_may_be_registered_on_her_50th_birthday_but_not_the_day_after(born: date, trade: str | None) -> None:
    assert _reasons(born, "female", trade, _birthday(born, 50)) == []
    assert _reasons(born, "female", trade, _birthday(born, 50) + DAY) == ["too_old"]


@given(born=births, trade=high_risk_trades, sex_and_limit=st.sampled_from([("male", 55), ("female", 45)]))
def test_a_high_risk_trade_closes_at_55_for_men_and_45_for_women(born: date, trade: str,
                                                                 sex_and_limit: tuple[Sex, int]) -> None:
    sex, limit = sex_and_limit
    assert _reasons(born, sex, trade, _birthday(born, limit)) == []
    too_old = check_age(born, sex, trade, _birthday(born, limit) + DAY)
    assert [(f.field, f.reason) for f in too_old] == [("employment.trade_code", "too_old_for_trade")]
    assert TRADES[trade] in too_old[0].message_zh


@given(born=births, trade=ordinary_trades, sex_and_age=st.sampled_from([("male", 58), ("female", 48)]))
def test_an_ordinary_trade_stays_open_between_the_high_risk_and_the_general_limit(born: date, trade: str,
                                                                                  sex_and_age: tuple[Sex, int]) -> None:
    sex, age = sex_and_age
    assert _reasons(born, sex, trade, _birthday(born, age)) == []


@given(born=births, trade=high_risk_trades)
def test_past_the_general_limit_only_too_old_is_reported_even_for_a_high_risk_trade(born: date, trade: str) -> None:
    assert _reasons(born, "male", trade, _birthday(born, 61)) == ["too_old"]


@given(born=births, sex=sexes)
def test_management_staff_are_exempt_from_the_upper_limits_but_not_from_the_lower(born: date, sex: Sex) -> None:
    assert _reasons(born, sex, MANAGEMENT_TRADE, _birthday(born, 65)) == []
    assert _reasons(born, sex, MANAGEMENT_TRADE, _birthday(born, 18) - DAY) == ["too_young"]


@pytest.mark.parametrize(("today", "reasons"), [(date(2022, 2, 28), ["too_young"]), (date(2022, 3, 1), [])])
def test_someone_born_on_february_29_comes_of_age_on_march_1_in_a_common_year(today: date,
                                                                               reasons: list[str]) -> None:
    assert _reasons(date(2004, 2, 29), "female", "190", today) == reasons


def test_a_refusal_says_when_the_worker_can_be_registered() -> None:
    (finding,) = check_age(date(2008, 9, 1), "male", "010", date(2025, 6, 15))
    assert "2026-09-01" in finding.message
    assert "2026-09-01" in finding.message_zh
