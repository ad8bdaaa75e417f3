"""Wage terms (R7): temporary workers are paid by the day; long-term ones by the day or base plus performance."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from realname_codes.findings import Finding, present, term_missing

DAILY = "daily"
MONTHLY = "monthly_base_plus_performance"
BASE_WAGE_BENCHMARK = Decimal(4500)  # Shanghai, yuan a month
MINIMUM_PAYOUTS_PER_YEAR = 3  # spring, autumn, Spring Festival
PROBATION_MINIMUM_SHARE = Decimal("0.8")  # Labour Contract Law art. 20

_AMOUNTS = {
    "daily_wage": ("daily wage", "日工资"),
    "base_wage": ("monthly base wage", "月基本工资"),
    "probation_wage": ("probation wage", "试用期工资"),
}


def check_wages(employment: Mapping[str, Any]) -> list[Finding]:
    wage_type = employment.get("wage_type")
    if wage_type == DAILY:
        return _amount(employment, "daily_wage")
    if wage_type == MONTHLY:
        return [*_temporary_is_daily(employment), *_monthly(employment)]
    if present(wage_type):
        return [Finding("employment.wage_type", "wage_type_unknown",
                        f"{wage_type!r} is not a wage type: choose {DAILY} or {MONTHLY}.",
                        f"“{wage_type}”不是有效的工资类型，请选择按日计酬（{DAILY}）或基本工资加绩效（{MONTHLY}）。")]
    return []


def _temporary_is_daily(employment: Mapping[str, Any]) -> list[Finding]:
    if employment.get("worker_type") != "temporary":
        return []
    return [Finding("employment.wage_type", "temporary_worker_daily_only",
                    "A temporary worker is paid by the day (R7): choose the daily wage type and enter the daily wage.",
                    "临时工只能按日计酬，请选择按日计酬并填写日工资。")]


def _monthly(employment: Mapping[str, Any]) -> list[Finding]:
    findings = _amount(employment, "base_wage") + _amount(employment, "probation_wage") + _payouts(employment)
    base, probation = _decimal(employment.get("base_wage")), _decimal(employment.get("probation_wage"))
    if base is not None and 0 < base < BASE_WAGE_BENCHMARK:
        findings.append(Finding("employment.base_wage", "base_wage_below_benchmark",
                                f"A base wage of {base} is under the Shanghai benchmark of {BASE_WAGE_BENCHMARK} "
                                "yuan a month: check it is right.",
                                f"月基本工资{base}元低于上海基准{BASE_WAGE_BENCHMARK}元，请核实。", "warning"))
    if base is not None and probation is not None and base > 0 and probation > 0:
        findings += _probation(base, probation)
    return findings


def _probation(base: Decimal, probation: Decimal) -> list[Finding]:
    if probation > base:
        return [Finding("employment.probation_wage", "probation_wage_above_base",
                        f"The probation wage {probation} is above the base wage {base}: it is the wage during the "
                        "trial period and cannot exceed the agreed wage. Correct one of them.",
                        f"试用期工资{probation}元高于基本工资{base}元，请更正。")]
    floor = (base * PROBATION_MINIMUM_SHARE).quantize(Decimal("0.01"))
    if probation < floor:
        return [Finding("employment.probation_wage", "probation_wage_below_legal_minimum",
                        f"The probation wage {probation} is under 80% of the base wage ({floor}), the minimum the "
                        "Labour Contract Law allows: check the contract.",
                        f"试用期工资{probation}元低于基本工资的80%（{floor}元），不符合《劳动合同法》，请核实合同。",
                        "warning")]
    return []


def _amount(employment: Mapping[str, Any], name: str) -> list[Finding]:
    label, label_zh = _AMOUNTS[name]
    value = employment.get(name)
    if value is None:
        return [term_missing(f"employment.{name}", label, label_zh)]
    if value <= 0:
        return [Finding(f"employment.{name}", "wage_not_positive", f"The {label} must be more than 0 yuan.",
                        f"{label_zh}必须大于0元。")]
    return []


def _payouts(employment: Mapping[str, Any]) -> list[Finding]:
    payouts = employment.get("performance_payouts_per_year")
    if payouts is None:
        return [term_missing("employment.performance_payouts_per_year", "number of performance payouts a year",
                             "每年绩效工资发放次数")]
    if payouts < MINIMUM_PAYOUTS_PER_YEAR:
        return [Finding("employment.performance_payouts_per_year", "performance_payouts_too_few",
                        f"Performance pay is paid at least {MINIMUM_PAYOUTS_PER_YEAR} times a year (spring, autumn, "
                        f"Spring Festival; R7), not {payouts}.",
                        f"绩效工资每年至少发放{MINIMUM_PAYOUTS_PER_YEAR}次（春季、秋季、春节），当前为{payouts}次。")]
    return []


def _decimal(value: object) -> Decimal | None:
    """Money arrives as Decimal from the schema; a plain int from a seed or a test means the same."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    return Decimal(value)
