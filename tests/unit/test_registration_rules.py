"""A whole registration body: identity, age, phone, category and employment checked together."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_codes.findings import Finding
from realname_codes.id_numbers import make_id_number
from realname_codes.invalid import Invalid
from realname_registry.rules.registration import check_registration, errors, warnings

TODAY = date(2025, 6, 15)
BORN = date(1980, 5, 17)


def _body(identity: dict[str, Any] | None = None, employment: dict[str, Any] | None = None,
          **changes: Any) -> dict[str, Any]:
    body = {
        "identity": {"name": "张三", "sex": "male", "ethnicity": "01", "birth_date": BORN, "address": "上海市徐汇区",
                     "id_number": make_id_number("310104", BORN, 123), "issuing_authority": "上海市公安局徐汇分局",
                     "valid_from": date(2015, 3, 1), "valid_to": date(2035, 3, 1)} | (identity or {}),
        "phone": "13800138000", "category": "construction", "site_role": None,
        "employment": {"worker_type": "long_term", "contract_number": "HT-1", "contract_start": date(2025, 1, 1),
                       "contract_end": date(2026, 12, 31), "wage_type": "monthly_base_plus_performance",
                       "daily_wage": None, "base_wage": Decimal(6000), "probation_wage": Decimal(5000),
                       "performance_payouts_per_year": 3, "bank_code": "105", "bank_name": None,
                       "wage_card_number": "6222020200112233446", "trade_code": "020", "team_id": "t-1"}
        | (employment or {}),
    }
    return body | changes


def _found(body: dict[str, Any], completion: date | None = None) -> set[tuple[str, str]]:
    return {(f.field, f.reason) for f in check_registration(body, TODAY, completion)}


def _plus_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def _card_years(born: date, issued: date) -> int | None:
    """居民身份证法 art. 5: 5 years under 16, 10 to 25, 20 to 45, long-term (None) from 46."""
    age = issued.year - born.year - ((issued.month, issued.day) < (born.month, born.day))
    return 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else None


@st.composite
def eligible_workers(draw: st.DrawFn) -> dict[str, Any]:
    """A man of 18 to 60 or a woman of 18 to 50 holding a current card, in an ordinary trade or management."""
    sex = draw(st.sampled_from(["male", "female"]))
    oldest = _plus_years(TODAY, -(60 if sex == "male" else 50)) + timedelta(days=1)
    born = draw(st.dates(min_value=oldest, max_value=_plus_years(TODAY, -18)))
    sequence = draw(st.integers(0, 499)) * 2 + (1 if sex == "male" else 0)
    issued = draw(st.dates(min_value=TODAY - timedelta(days=4 * 365), max_value=TODAY))
    years = _card_years(born, issued)
    identity = {"sex": sex, "birth_date": born, "id_number": make_id_number("110105", born, sequence),
                "valid_from": issued, "valid_to": None if years is None else _plus_years(issued, years)}
    trade = draw(st.sampled_from(["010", "020", "040", "190", "240", "900"]))
    return _body(identity, {"trade_code": trade, "team_id": None if trade == "900" else "t-1"})


def test_a_complete_and_true_registration_has_no_findings() -> None:
    assert check_registration(_body(), TODAY) == []


@given(body=eligible_workers())
def test_any_eligible_worker_with_a_current_card_is_registered_without_errors(body: dict[str, Any]) -> None:
    assert errors(check_registration(body, TODAY)) == []


def test_findings_of_every_part_are_reported_together() -> None:
    body = _body({"name": "张3"}, {"bank_code": "999"}, phone="12345")
    assert _found(body) == {("identity.name", "name_invalid"), ("phone", "phone_invalid"),
                            ("employment.bank_code", "bank_unknown")}


def test_the_age_limit_follows_the_birth_date_in_the_id_number() -> None:
    too_young = date(2010, 1, 1)
    body = _body({"id_number": make_id_number("310104", too_young, 123)})
    assert ("identity.birth_date", "too_young") in _found(body)
    assert ("identity.birth_date", "birth_date_mismatch") in _found(body)


def test_the_age_limit_falls_back_on_the_entered_birth_date_when_the_number_is_invalid() -> None:
    body = _body({"id_number": "123", "birth_date": date(1950, 1, 1)})
    assert ("identity.birth_date", "too_old") in _found(body)


def test_a_construction_worker_too_old_for_a_high_risk_trade_is_refused_on_the_trade() -> None:
    born = date(1968, 1, 1)
    body = _body({"birth_date": born, "id_number": make_id_number("310104", born, 123),
                  "valid_from": date(2016, 1, 1), "valid_to": None}, {"trade_code": "130"})
    assert _found(body) == {("employment.trade_code", "too_old_for_trade")}


def test_site_staff_need_a_site_role_and_carry_no_trade() -> None:
    body = _body(category="site_staff", site_role=None)
    assert _found(body) == {("site_role", "site_role_missing"), ("employment.trade_code", "site_staff_trade")}


@pytest.mark.parametrize("role", ["security", "cleaning", "logistics", "other"])
def test_site_staff_with_a_role_and_no_trade_or_team_are_registered(role: str) -> None:
    body = _body(employment={"trade_code": None, "team_id": None}, category="site_staff", site_role=role)
    assert check_registration(body, TODAY) == []


def test_an_unknown_site_role_is_refused() -> None:
    body = _body(employment={"trade_code": None}, category="site_staff", site_role="driver")
    assert _found(body) == {("site_role", "site_role_unknown")}


def test_a_construction_worker_has_no_site_role() -> None:
    assert _found(_body(site_role="security")) == {("site_role", "site_role_unexpected")}


def test_an_unknown_category_is_refused() -> None:
    assert ("category", "category_unknown") in _found(_body(category="visitor"))


@pytest.mark.parametrize("category", [None, ""])
def test_a_registration_without_a_category_is_checked_as_a_construction_worker(category: str | None) -> None:
    assert check_registration(_body(category=category), TODAY) == []
    body = _body(employment={"trade_code": None}, category=category)
    assert _found(body) == {("employment.trade_code", "term_missing")}


def test_warnings_and_errors_are_told_apart() -> None:
    body = _body(employment={"base_wage": Decimal(4000), "probation_wage": Decimal(4000)}, phone="1")
    findings = check_registration(body, TODAY, date(2027, 6, 30))
    assert {f.reason for f in errors(findings)} == {"phone_invalid"}
    assert {f.reason for f in warnings(findings)} == {"base_wage_below_benchmark", "contract_ends_before_completion"}
    assert len(errors(findings)) + len(warnings(findings)) == len(findings)


def test_a_finding_is_made_from_an_invalid_value_and_serialised_with_all_its_parts() -> None:
    finding = Finding.of("phone", Invalid("phone_invalid", "Check the number.", "请核对号码。"), "warning")
    assert finding.to_dict() == {"field": "phone", "reason": "phone_invalid", "message": "Check the number.",
                                 "message_zh": "请核对号码。", "severity": "warning"}
    assert Finding.of("phone", Invalid("r", "m", "z")).severity == "error"


@given(body=eligible_workers())
def test_every_message_is_given_in_english_and_chinese(body: dict[str, Any]) -> None:
    broken = body | {"phone": "0", "category": "site_staff"}
    for finding in check_registration(broken, TODAY + timedelta(days=10000)):
        assert finding.message.isascii() or any(c.isascii() and c.isalpha() for c in finding.message)
        assert any("\u4e00" <= c <= "\u9fff" for c in finding.message_zh)
