"""Wage-card numbers (R8): the format is refused when wrong, a failed Luhn check only flagged."""

from __future__ import annotations

import re
import unicodedata

from realname_codes.invalid import Invalid

_CARD = re.compile(r"\d{12,19}")
_SEPARATORS = re.compile(r"[\s\-]")


def normalise_card_number(raw: str) -> str:
    """Drops the spaces and dashes that card numbers are printed with; full-width digits become ASCII."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))


def wage_card_problem(raw: str) -> Invalid | None:
    if _CARD.fullmatch(normalise_card_number(raw)):
        return None
    return Invalid("wage_card_format",
                   "A bank card number has 12 to 19 digits. Copy it again from the front of the card.",
                   "银行卡号应为12至19位数字，请对照银行卡正面重新输入。")


def luhn_valid(digits: str) -> bool:
    """The ISO/IEC 7812 check digit of most cards; some older passbook-linked cards fail it, hence only a flag."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
