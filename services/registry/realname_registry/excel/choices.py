"""Coded columns: the words people write in a cell, mapped to the platform's codes, and the drop-down lists."""

from __future__ import annotations

from typing import TypeVar

from realname_codes.banks import BANKS, OTHER_BANK, bank_by_name
from realname_codes.ethnicities import ETHNICITIES, ethnicity_by_name
from realname_codes.trades import TRADES


class Invalid(ValueError):
    """A cell that cannot be read; the message (Chinese) is for the person who filled the sheet."""


SEXES = {"男": "male", "男性": "male", "女": "female", "女性": "female"}
WORKER_TYPES = {"临时": "temporary", "临时工": "temporary", "临时用工": "temporary",
                "长期": "long_term", "长期工": "long_term", "长期用工": "long_term"}
_DAILY = "daily"
_MONTHLY = "monthly_base_plus_performance"
WAGE_TYPES = {"按日计薪": _DAILY, "按日": _DAILY, "按天计薪": _DAILY, "日薪": _DAILY, "计日工资": _DAILY,
              "月基本工资加绩效": _MONTHLY, "月基本工资+绩效": _MONTHLY, "基本工资加绩效": _MONTHLY,
              "基本工资+绩效": _MONTHLY, "月薪加绩效": _MONTHLY, "月薪+绩效": _MONTHLY}
YES_NO = {"是": True, "否": False, "Y": True, "N": False, "TRUE": True, "FALSE": False}
_T = TypeVar("_T")
_TRADE_BY_NAME = {name: code for code, name in TRADES.items()}


def sex(text: str) -> str:
    return _choose(SEXES, text, "只能填 男 或 女")


def worker_type(text: str) -> str:
    return _choose(WORKER_TYPES, text, "只能填 临时 或 长期")


def wage_type(text: str) -> str:
    return _choose(WAGE_TYPES, text, "只能填 按日计薪 或 月基本工资加绩效")


def yes_no(text: str) -> bool:
    return _choose(YES_NO, text.upper(), "只能填 是 或 否")


def ethnicity(text: str) -> str:
    code = ethnicity_by_name(text.zfill(2) if text.isdigit() else text)
    if code is None:
        raise Invalid(f"未知民族“{text}”，请从下拉列表选择")
    return code


def trade(text: str) -> str:
    code = text.zfill(3) if text.isdigit() else _TRADE_BY_NAME.get(text)
    if code not in TRADES:
        raise Invalid(f"未知工种“{text}”，请从下拉列表选择")
    return code


def bank(text: str) -> tuple[str, str | None]:
    """The bank code, and the name as written when the bank is none of the listed ones (R8)."""
    code = bank_by_name(text)
    if code is not None:
        return code, None
    if text.isdigit():
        raise Invalid(f"未知银行代码“{text}”，请写银行名称")
    return OTHER_BANK, text


def dropdowns() -> dict[str, list[str]]:
    """The drop-down list of each coded column kind, in the order people expect to see them."""
    return {
        "sex": ["男", "女"],
        "ethnicity": list(ETHNICITIES.values()),
        "worker_type": ["临时", "长期"],
        "wage_type": ["按日计薪", "月基本工资加绩效"],
        "bank": list(BANKS.values()),
        "trade": list(TRADES.values()),
        "yes_no": ["是", "否"],
    }


def _choose(table: dict[str, _T], text: str, message: str) -> _T:
    try:
        return table["".join(text.split())]
    except KeyError:
        raise Invalid(message) from None
