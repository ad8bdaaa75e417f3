"""Employment terms (R5–R9): contract, wages, wage card, trade and team."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.banks import BANKS
from realname_codes.findings import Finding
from realname_codes.trades import TRADES
from realname_registry.rules.employment_terms import check_employment

TODAY = date(2025, 6, 15)
CARD = "6222020200112233446"  # passes Luhn


def _monthly(**changes: Any) -> dict[str, Any]:
    employment = {"worker_type": "long_term", "contract_number": "HT-2025-001", "contract_start": date(2025, 1, 1),
                  "contract_end": date(2026, 12, 31), "wage_type": "monthly_base_plus_performance",
                  "daily_wage": None, "base_wage": Decimal(6000), "probation_wage": Decimal(5000),
                  "performance_payouts_per_year": 3, "bank_code": "102", "bank_name": None,
                  "wage_card_number": CARD, "trade_code": "010", "team_id": "team-1"}
    return employment | changes


def _daily(**changes: Any) -> dict[str, Any]:
    daily = {"worker_type": "temporary", "wage_type": "daily", "daily_wage": Decimal(350), "base_wage": None,
             "probation_wage": None, "performance_payouts_per_year": None}
    return _monthly(**(daily | changes))


def _check(employment: dict[str, Any], completion: date | None = None, category: str = "construction") -> list[Finding]:
    return check_employment(employment, TODAY, completion, category=category)


def _found(employment: dict[str, Any], completion: date | None = None,
           category: str = "construction") -> set[tuple[str, str, str]]:
    findings = _check(employment, completion, category)
    return {(f.field.removeprefix("employment."), f.reason, f.severity) for f in findings}


@pytest.mark.parametrize("employment", [_monthly(), _daily(), _daily(worker_type="long_term")])
def test_complete_and_consistent_terms_have_no_findings(employment: dict[str, Any]) -> None:
    assert _check(employment, date(2026, 6, 30)) == []


@pytest.mark.parametrize("term", ["worker_type", "contract_number", "contract_start", "contract_end", "wage_type",
                                  "bank_code", "wage_card_number", "trade_code", "team_id"])
@pytest.mark.parametrize("blank", [None, "", "  "])
def test_every_required_term_left_blank_is_refused_by_name(term: str, blank: str | None) -> None:
    assert _found(_monthly(**{term: blank})) == {(term, "term_missing", "error")}


@pytest.mark.parametrize("term", ["base_wage", "probation_wage", "performance_payouts_per_year"])
def test_a_monthly_wage_needs_base_probation_and_payouts(term: str) -> None:
    assert _found(_monthly(**{term: None})) == {(term, "term_missing", "error")}


def test_a_contract_that_ends_before_it_starts_is_refused() -> None:
    assert _found(_monthly(contract_start=date(2027, 1, 1))) == {("contract_end", "contract_dates_reversed", "error")}


def test_a_contract_that_ended_yesterday_is_refused_and_one_ending_today_is_not() -> None:
    assert _found(_monthly(contract_end=TODAY - timedelta(days=1))) == {("contract_end", "contract_ended", "error")}
    assert _check(_monthly(contract_end=TODAY)) == []


def test_a_contract_ending_before_the_planned_completion_is_only_a_warning_and_on_it_nothing() -> None:
    assert _found(_monthly(), date(2027, 1, 1)) == {("contract_end", "contract_ends_before_completion", "warning")}
    assert _check(_monthly(), date(2026, 12, 31)) == []


def test_a_temporary_worker_cannot_be_paid_a_monthly_wage() -> None:
    assert _found(_monthly(worker_type="temporary")) == {("wage_type", "temporary_worker_daily_only", "error")}


@pytest.mark.parametrize(("changes", "found"), [
    ({"worker_type": "seasonal"}, ("worker_type", "worker_type_unknown", "error")),
    ({"wage_type": "hourly"}, ("wage_type", "wage_type_unknown", "error")),
])
def test_an_unknown_worker_or_wage_type_is_refused(changes: dict[str, str], found: tuple[str, str, str]) -> None:
    assert _found(_monthly(**changes)) == {found}


@pytest.mark.parametrize(("daily_wage", "reason"), [(None, "term_missing"), (Decimal(0), "wage_not_positive"),
                                                    (Decimal(-1), "wage_not_positive")])
def test_a_daily_wage_must_be_given_and_above_zero(daily_wage: Decimal | None, reason: str) -> None:
    assert _found(_daily(daily_wage=daily_wage)) == {("daily_wage", reason, "error")}


@pytest.mark.parametrize("term", ["base_wage", "probation_wage"])
def test_a_monthly_amount_of_zero_is_refused(term: str) -> None:
    assert ("employment." + term, "wage_not_positive") in {(f.field, f.reason) for f in _check(_monthly(**{term: 0}))}


@given(payouts=st.integers(min_value=-5, max_value=24))
def test_performance_pay_is_paid_at_least_three_times_a_year(payouts: int) -> None:
    refused = _found(_monthly(performance_payouts_per_year=payouts)) == {
        ("performance_payouts_per_year", "performance_payouts_too_few", "error")}
    assert refused == (payouts < 3)


@given(base=st.decimals(min_value=1, max_value=20000, places=2))
def test_a_base_wage_under_the_4500_benchmark_is_flagged_not_refused(base: Decimal) -> None:
    findings = _found(_monthly(base_wage=base, probation_wage=base))
    assert findings == ({("base_wage", "base_wage_below_benchmark", "warning")} if base < 4500 else set())


@given(base=st.decimals(min_value=4500, max_value=20000, places=2),
       share=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1.5"), places=2))
def test_a_probation_wage_above_the_base_is_refused_and_under_80_percent_of_it_flagged(base: Decimal,
                                                                                      share: Decimal) -> None:
    probation = (base * share).quantize(Decimal("0.01"))
    findings = _found(_monthly(base_wage=base, probation_wage=probation))
    if probation > base:
        assert findings == {("probation_wage", "probation_wage_above_base", "error")}
    elif probation < (base * Decimal("0.8")).quantize(Decimal("0.01")):
        assert findings == {("probation_wage", "probation_wage_below_legal_minimum", "warning")}
    else:
        assert findings == set()


def test_a_probation_wage_of_exactly_80_percent_is_accepted() -> None:
    assert _check(_monthly(base_wage=Decimal(5000), probation_wage=Decimal(4000))) == []


@given(code=st.sampled_from(sorted(BANKS)))
def test_every_listed_bank_is_accepted(code: str) -> None:
    assert _check(_monthly(bank_code=code, bank_name="宁波银行")) == []


def test_an_unlisted_bank_code_is_refused() -> None:
    assert _found(_monthly(bank_code="999")) == {("bank_code", "bank_unknown", "error")}


def test_the_other_bank_needs_its_name() -> None:
    assert _found(_monthly(bank_code="other")) == {("bank_name", "term_missing", "error")}


def test_a_malformed_card_number_is_refused_and_a_luhn_miss_only_flagged() -> None:
    assert _found(_monthly(wage_card_number="62220202")) == {("wage_card_number", "wage_card_format", "error")}
    assert _found(_monthly(wage_card_number=CARD[:-1] + "7")) == {("wage_card_number", "wage_card_luhn", "warning")}


def test_an_unknown_trade_is_refused() -> None:
    assert _found(_monthly(trade_code="260")) == {("trade_code", "trade_unknown", "error")}


@given(trade=st.sampled_from(sorted(TRADES)))
def test_every_national_trade_is_accepted(trade: str) -> None:
    assert _check(_monthly(trade_code=trade)) == []


def test_management_staff_and_site_staff_join_no_team() -> None:
    assert _check(_monthly(trade_code="900", team_id=None)) == []
    assert _check(_monthly(trade_code=None, team_id=None), category="site_staff") == []
