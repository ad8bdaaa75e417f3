"""A whole registration body: identity, age, phone, category and employment, checked together."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from realname_codes.findings import Finding, present
from realname_codes.id_numbers import id_number_problem, parse_id_number
from realname_codes.identity_card import check_identity
from realname_codes.phones import mobile_problem
from realname_registry.rules.age_limits import check_age
from realname_registry.rules.employment_terms import check_employment

CONSTRUCTION = "construction"
SITE_STAFF = "site_staff"  # R13: security, cleaners, registered by the general contractor
SITE_ROLES = ("security", "cleaning", "logistics", "other")


def check_registration(body: Mapping[str, Any], today: date,
                       project_planned_completion: date | None = None) -> list[Finding]:
    identity: Mapping[str, Any] = body.get("identity") or {}
    employment: Mapping[str, Any] = body.get("employment") or {}
    category = str(body.get("category") or CONSTRUCTION)  # most registrations are construction workers
    return [*check_identity(identity, today), *_age(identity, employment.get("trade_code"), today),
            *_phone(body.get("phone")), *_category(category, body.get("site_role"), employment),
            *check_employment(employment, today, project_planned_completion, category=category)]


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "warning"]


def _age(identity: Mapping[str, Any], trade_code: str | None, today: date) -> list[Finding]:
    """The number's birth date and sex are the authoritative ones; the entered ones are used when it is invalid."""
    raw = str(identity.get("id_number") or "")
    if id_number_problem(raw, today) is None:
        number = parse_id_number(raw, today)
        return check_age(number.birth_date, number.sex, trade_code, today)
    born, sex = identity.get("birth_date"), identity.get("sex")
    if isinstance(born, date) and sex in ("male", "female"):
        return check_age(born, sex, trade_code, today)
    return []


def _phone(raw: object) -> list[Finding]:
    problem = mobile_problem(str(raw or ""))
    return [Finding.of("phone", problem)] if problem else []


def _category(category: str, site_role: object, employment: Mapping[str, Any]) -> list[Finding]:
    if category == CONSTRUCTION:
        if present(site_role):
            return [Finding("site_role", "site_role_unexpected",
                            "Only site staff have a site role: clear it, or register the person as site staff.",
                            "只有现场服务人员有岗位类别，请清空该项，或按现场服务人员登记。")]
        return []
    if category != SITE_STAFF:
        return [Finding("category", "category_unknown",
                        f"{category!r} is not a category: choose construction (a construction worker) or "
                        "site_staff (security, cleaning and other site staff).",
                        f"“{category}”不是有效的人员类别，请选择建筑工人（construction）或现场服务人员（site_staff）。")]
    findings = []
    if not present(site_role):
        findings.append(Finding("site_role", "site_role_missing",
                                f"Site staff need a site role: choose one of {', '.join(SITE_ROLES)}.",
                                "现场服务人员须选择岗位类别：保安、保洁、后勤或其他。"))
    elif site_role not in SITE_ROLES:
        findings.append(Finding("site_role", "site_role_unknown",
                                f"{site_role!r} is not a site role: choose one of {', '.join(SITE_ROLES)}.",
                                f"“{site_role}”不是有效的岗位类别，请选择保安、保洁、后勤或其他。"))
    if present(employment.get("trade_code")):
        findings.append(Finding("employment.trade_code", "site_staff_trade",
                                "Site staff carry no construction trade (R13): clear the trade, or register the "
                                "person as a construction worker.",
                                "现场服务人员不设工种，请清空工种，或按建筑工人登记。"))
    return findings
