"""Who is too young or too old to be registered for site work (R34, a Shanghai rule).

Nobody under 18 is registered, management staff included: that limit is child-labour law, not a
site rule. The upper limits (men over 60 and women over 50; over 55 and 45 for high-risk trades)
keep older people from construction work on site; management staff (trade 900, R36) do no such
work, and their women often work to 55, so they are exempt from both upper limits.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from realname_codes.dates import age_on, anniversary
from realname_codes.findings import Finding
from realname_codes.trades import HIGH_RISK_TRADES, MANAGEMENT_TRADE, TRADES

MINIMUM_AGE = 18
MAXIMUM_AGE = {"male": 60, "female": 50}
MAXIMUM_AGE_HIGH_RISK = {"male": 55, "female": 45}
_SEX_EN = {"male": "Men", "female": "Women"}
_SEX_ZH = {"male": "男性", "female": "女性"}


def check_age(birth_date: date, sex: Literal["male", "female"], trade_code: str | None, today: date) -> list[Finding]:
    """"Over 60" starts the day after the 60th birthday: on the birthday itself a man may still be registered."""
    adult_on = anniversary(birth_date, MINIMUM_AGE)
    if today < adult_on:
        age = age_on(birth_date, today)
        return [Finding("identity.birth_date", "too_young",
                        f"The worker is {age}; nobody under {MINIMUM_AGE} may be registered (R34). "
                        f"They can be registered from {adult_on}.",
                        f"该工人{age}周岁，未满{MINIMUM_AGE}周岁不得登记，可于{adult_on}起登记。")]
    if trade_code == MANAGEMENT_TRADE:
        return []
    limit = MAXIMUM_AGE[sex]
    if today > anniversary(birth_date, limit):
        return [_too_old(birth_date, sex, limit)]
    limit = MAXIMUM_AGE_HIGH_RISK[sex]
    if trade_code in HIGH_RISK_TRADES and today > anniversary(birth_date, limit):
        return [_too_old_for_trade(birth_date, sex, limit, TRADES[trade_code])]
    return []


def _too_old(birth_date: date, sex: str, limit: int) -> Finding:
    reached = anniversary(birth_date, limit)
    return Finding("identity.birth_date", "too_old",
                   f"{_SEX_EN[sex]} over {limit} may not be registered for site work (R34); "
                   f"this worker turned {limit} on {reached}.",
                   f"{_SEX_ZH[sex]}超过{limit}周岁不得登记从事施工作业，该工人已于{reached}年满{limit}周岁。")


def _too_old_for_trade(birth_date: date, sex: str, limit: int, trade: str) -> Finding:
    reached = anniversary(birth_date, limit)
    return Finding("employment.trade_code", "too_old_for_trade",
                   f"{_SEX_EN[sex]} over {limit} may not work as {trade}, a high-risk trade (R34); "
                   f"this worker turned {limit} on {reached}. Choose another trade.",
                   f"{_SEX_ZH[sex]}超过{limit}周岁不得从事{trade}等高危工种，该工人已于{reached}年满{limit}周岁，"
                   "请选择其他工种。")
