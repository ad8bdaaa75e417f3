"""The wage card (R8): a bank from the list (or 其他 with its name) and a card number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from realname_codes.bank_cards import luhn_valid, normalise_card_number, wage_card_problem
from realname_codes.banks import BANKS, OTHER_BANK
from realname_codes.findings import Finding, present, term_missing


def check_wage_card(employment: Mapping[str, Any]) -> list[Finding]:
    return [*_bank(employment), *_card(employment.get("wage_card_number"))]


def _bank(employment: Mapping[str, Any]) -> list[Finding]:
    code = employment.get("bank_code")
    if not present(code):
        return [term_missing("employment.bank_code", "wage-card bank", "工资卡开户银行")]
    if code not in BANKS:
        return [Finding("employment.bank_code", "bank_unknown",
                        f"{code!r} is not a bank code: choose the bank from the list, or {OTHER_BANK} (其他) and "
                        "write its name.",
                        f"“{code}”不是银行代码，请从列表中选择银行，或选择“其他”并填写银行名称。")]
    if code == OTHER_BANK and not present(employment.get("bank_name")):
        return [term_missing("employment.bank_name", "bank name (the bank is 其他, not in the list)", "银行名称")]
    return []


def _card(raw: object) -> list[Finding]:
    if not present(raw):
        return [term_missing("employment.wage_card_number", "wage-card number", "工资卡号")]
    problem = wage_card_problem(str(raw))
    if problem:
        return [Finding.of("employment.wage_card_number", problem)]
    if luhn_valid(normalise_card_number(str(raw))):
        return []
    return [Finding("employment.wage_card_number", "wage_card_luhn",
                    "The card number fails the Luhn check that most bank cards pass: a digit may be mistyped. "
                    "Compare it with the card; if it matches, keep it.",
                    "银行卡号未通过Luhn校验，可能有数字录入错误，请对照银行卡核对；如核对无误可保留。", "warning")]
