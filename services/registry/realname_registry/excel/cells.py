"""Reading one cell: what people typed, or the number or date Excel stored, into the registration body's value."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl.utils.datetime import from_excel

from realname_registry.excel import choices
from realname_registry.excel.choices import Invalid
from realname_registry.excel.columns import Kind

# Excel keeps 15 significant digits of a number: an ID or card number typed into a number cell loses the rest.
EXCEL_DIGITS = 15
LOST_DIGITS = "Excel 把这个号码存成了数字，15 位以后的数字已丢失：请把本列设为文本格式后重新输入完整号码"
BAD_DATE = "日期无法识别，请写成 2024-01-31 这样的日期"
BAD_MONEY = "金额应为不小于 0 的数字，最多两位小数"
LONG_TERM = frozenset({"长期", "长期有效"})

_DATE_TEXT = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EXCEL_SERIALS = range(1, 2_958_466)  # 1900-01-01 .. 9999-12-31
_MONEY = re.compile(r"\d+(?:\.\d{1,2})?")
_CENTS = Decimal("0.01")


def text(value: object) -> str:
    """The cell as text: full-width folded, stripped; a whole number without ``.0``, a date as 2024-01-31."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == time.min:
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def convert(kind: Kind, raw: object, typed: str) -> Any:
    """The body's value of a non-empty cell (``typed`` is ``text(raw)``); raises Invalid."""
    return _CONVERTERS[kind](raw, typed)


def _is_number(raw: object) -> bool:
    return isinstance(raw, int | float) and not isinstance(raw, bool)


def _long_number(raw: object, typed: str, *, drop: str = "") -> str:
    if _is_number(raw) and len(typed.lstrip("-")) > EXCEL_DIGITS:
        raise Invalid(LOST_DIGITS)
    return "".join(c for c in "".join(typed.split()) if c not in drop)


def _phone(raw: object, typed: str) -> str:
    if isinstance(raw, float) and not raw.is_integer():
        raise Invalid("手机号码应为数字")
    return "".join(c for c in "".join(typed.split()) if c != "-")


def _date(raw: object, typed: str) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if _is_number(raw) and not typed.isdigit():
        raise Invalid(BAD_DATE)
    if typed.isdigit() and int(typed) in _EXCEL_SERIALS and len(typed) != 8:
        serial: datetime = from_excel(int(typed))
        return serial.date()  # a date cell that lost its date format
    match = _DATE_TEXT.fullmatch(typed) or _COMPACT_DATE.fullmatch(typed)
    if match is None:
        raise Invalid(BAD_DATE)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise Invalid(f"没有 {typed} 这一天") from None


def _date_or_long(raw: object, typed: str) -> date | None:
    return None if "".join(typed.split()) in LONG_TERM else _date(raw, typed)


def _money(raw: object, typed: str) -> Decimal:
    if isinstance(raw, float) and abs(raw - round(raw, 2)) < 1e-6:
        typed = repr(round(raw, 2))  # the float noise of a formula's result, not a third decimal
    amount = typed.replace(",", "").removeprefix("¥").removesuffix("元").strip()
    if not _MONEY.fullmatch(amount):
        raise Invalid(BAD_MONEY)
    return Decimal(amount).quantize(_CENTS)


def _count(raw: object, typed: str) -> int:
    number = typed.removesuffix("次").strip()
    if not number.isdigit():
        raise Invalid("应为不小于 0 的整数")
    return int(number)


_CONVERTERS: dict[Kind, Callable[[object, str], Any]] = {
    "text": lambda raw, typed: typed,
    "id_number": lambda raw, typed: _long_number(raw, typed).upper(),
    "card_number": lambda raw, typed: _long_number(raw, typed, drop="-"),
    "phone": _phone,
    "date": _date,
    "date_or_long": _date_or_long,
    "money": _money,
    "count": _count,
    "sex": lambda raw, typed: choices.sex(typed),
    "ethnicity": lambda raw, typed: choices.ethnicity(typed),
    "worker_type": lambda raw, typed: choices.worker_type(typed),
    "wage_type": lambda raw, typed: choices.wage_type(typed),
    "bank": lambda raw, typed: choices.bank(typed),
    "trade": lambda raw, typed: choices.trade(typed),
    "yes_no": lambda raw, typed: choices.yes_no(typed),
}
