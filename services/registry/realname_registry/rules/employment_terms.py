"""The employment part of a registration (R5–R9): contract, wages, wage card, trade and team."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from realname_codes.findings import Finding, present, term_missing
from realname_codes.trades import MANAGEMENT_TRADE, TRADES
from realname_registry.rules.wage_card import check_wage_card
from realname_registry.rules.wages import check_wages

_ALWAYS_REQUIRED = {
    "worker_type": ("worker type", "用工类型"),
    "contract_number": ("labour contract number", "劳动合同编号"),
    "contract_start": ("contract start date", "合同开始日期"),
    "contract_end": ("contract end date", "合同结束日期"),
    "wage_type": ("wage type", "工资类型"),
}
WORKER_TYPES = ("temporary", "long_term")


def check_employment(employment: Mapping[str, Any], today: date, project_planned_completion: date | None,
                     *, category: str = "construction") -> list[Finding]:
    """Site staff (R13) and management staff (R36) join no team; site staff carry no trade (see registration)."""
    findings = [term_missing(f"employment.{name}", *labels) for name, labels in _ALWAYS_REQUIRED.items()
                if not present(employment.get(name))]
    worker_type = employment.get("worker_type")
    if present(worker_type) and worker_type not in WORKER_TYPES:
        findings.append(Finding("employment.worker_type", "worker_type_unknown",
                                f"{worker_type!r} is not a worker type: choose temporary or long_term.",
                                f"“{worker_type}”不是有效的用工类型，请选择临时工（temporary）或长期工（long_term）。"))
    findings += _contract_dates(employment.get("contract_start"), employment.get("contract_end"), today,
                                project_planned_completion)
    findings += check_wages(employment)
    findings += check_wage_card(employment)
    findings += _trade_and_team(employment, category)
    return findings


def _contract_dates(start: object, end: object, today: date, completion: date | None) -> list[Finding]:
    if not isinstance(end, date):
        return []
    findings = []
    if isinstance(start, date) and end < start:
        findings.append(Finding("employment.contract_end", "contract_dates_reversed",
                                f"The contract ends ({end}) before it starts ({start}): swap or correct the dates.",
                                f"合同结束日期（{end}）早于开始日期（{start}），请更正。"))
    if end < today:
        findings.append(Finding("employment.contract_end", "contract_ended",
                                f"The contract ended on {end}: register the worker with their current contract.",
                                f"该劳动合同已于{end}到期，请按现行有效的劳动合同登记。"))
    if completion is not None and end < completion:  # R6: warn, do not refuse
        findings.append(Finding("employment.contract_end", "contract_ends_before_completion",
                                f"The contract ends {end}, before the project's planned completion {completion}: "
                                "extend it or plan the worker's replacement.",
                                f"合同结束日期{end}早于项目计划竣工日期{completion}，请续签合同或安排接替人员。",
                                "warning"))
    return findings


def _trade_and_team(employment: Mapping[str, Any], category: str) -> list[Finding]:
    trade = employment.get("trade_code")
    if category == "site_staff":
        return []
    if not present(trade):  # R9
        return [term_missing("employment.trade_code", "trade (工种)", "工种")]
    if trade not in TRADES:
        return [Finding("employment.trade_code", "trade_unknown",
                        f"{trade!r} is not a trade code: choose one from the national table "
                        "(010 砌筑工 … 900 管理人员).",
                        f"“{trade}”不是工种代码，请从全国工种代码表中选择（010 砌筑工 … 900 管理人员）。")]
    if trade != MANAGEMENT_TRADE and not present(employment.get("team_id")):  # R16; R36 managers join no team
        return [term_missing("employment.team_id", "team", "班组")]
    return []
