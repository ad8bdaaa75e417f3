"""The validity period printed on a resident ID card, and whether it fits the holder's age."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from realname_codes.dates import age_on, anniversary
from realname_codes.findings import Finding

# Validity by age at issue (居民身份证法 art. 5): under 16 five years, 16 to 25 ten, 26 to 45 twenty, 46+ long-term.
_BAND_FLOORS = (0, 16, 26, 46)
_BAND_YEARS: tuple[int | None, ...] = (5, 10, 20, None)
_RULE = ("Cards run 5 years when issued under 16, 10 years from 16 to 25, 20 years from 26 to 45 "
         "and long-term from 46.")
_RULE_ZH = "身份证有效期：16周岁以下5年，16至25周岁10年，26至45周岁20年，46周岁以上长期。"


def check_card_validity(identity: Mapping[str, Any], today: date) -> list[Finding]:
    valid_from, valid_to, born = identity.get("valid_from"), identity.get("valid_to"), identity.get("birth_date")
    if not isinstance(valid_from, date):
        return [_invalid("identity.valid_from", "The card's start of validity is required: copy it from the card.",
                         "请按身份证填写有效期起始日期。")]
    if valid_from > today:
        return [_invalid("identity.valid_from", f"The card's validity starts {valid_from}, in the future: "
                         "check the date against the card.", f"有效期起始日期{valid_from}晚于今天，请对照身份证核对。")]
    if isinstance(born, date) and valid_from < born:
        return [_invalid("identity.valid_from", f"The card's validity starts {valid_from}, before the birth date "
                         f"{born}: check both against the card.",
                         f"有效期起始日期{valid_from}早于出生日期{born}，请对照身份证核对。")]
    findings = []
    if isinstance(valid_to, date) and valid_to < today:
        findings.append(Finding("identity.valid_to", "card_expired",
                                f"The card expired on {valid_to}. Ask the worker to renew it and read the new card.",
                                f"身份证已于{valid_to}过期，请工人换领新证后重新读卡。"))
    if isinstance(born, date):
        findings += _period_problem(age_on(born, valid_from), valid_from, valid_to)
    return findings


def _period_problem(age: int, valid_from: date, valid_to: date | None) -> list[Finding]:
    years = _period_years(valid_from, valid_to)
    if years == 0:
        return [_invalid("identity.valid_to", f"A card is valid for 5, 10 or 20 years or long-term; {valid_from} to "
                         f"{valid_to} is none of these. {_RULE} Check the dates against the card.",
                         f"有效期{valid_from}至{valid_to}不是5年、10年、20年或长期。{_RULE_ZH}请对照身份证核对。")]
    band = sum(age >= floor for floor in _BAND_FLOORS) - 1
    # One band lower is accepted too: the period follows the age at application, weeks before the issue date.
    if years in {_BAND_YEARS[b] for b in (band - 1, band) if b >= 0}:
        return []
    period, period_zh = ("long-term", "长期") if years is None else (f"{years} years", f"{years}年")
    return [Finding("identity.valid_to", "validity_impossible",
                    f"A card issued at age {age} cannot be valid {period}. {_RULE} Check the dates against the card.",
                    f"{age}周岁签发的身份证有效期不可能为{period_zh}。{_RULE_ZH}请对照身份证核对。")]


def _period_years(valid_from: date, valid_to: date | None) -> int | None:
    """5, 10 or 20 for a standard period, None for long-term, 0 for anything else."""
    if valid_to is None:
        return None
    for years in (5, 10, 20):
        end = anniversary(valid_from, years)
        feb28 = (valid_from.month, valid_from.day) == (2, 29) and valid_to == end.replace(month=2, day=28)
        if valid_to == end or feb28:
            return years
    return 0


def _invalid(field: str, message: str, message_zh: str) -> Finding:
    return Finding(field, "card_validity_invalid", message, message_zh)
