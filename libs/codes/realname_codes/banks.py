"""Wage-card banks (R8): the 3-digit bank-category codes of the CNAPS payment system, and 其他."""

from __future__ import annotations

import unicodedata

OTHER_BANK = "other"

BANKS: dict[str, str] = {
    "102": "中国工商银行",
    "103": "中国农业银行",
    "104": "中国银行",
    "105": "中国建设银行",
    "201": "国家开发银行",
    "202": "中国进出口银行",
    "203": "中国农业发展银行",
    "301": "交通银行",
    "302": "中信银行",
    "303": "中国光大银行",
    "304": "华夏银行",
    "305": "中国民生银行",
    "306": "广发银行",
    "307": "平安银行",
    "308": "招商银行",
    "309": "兴业银行",
    "310": "上海浦东发展银行",
    "313": "城市商业银行",
    "314": "农村商业银行",
    "315": "恒丰银行",
    "316": "浙商银行",
    "317": "农村合作银行",
    "318": "渤海银行",
    "319": "徽商银行",
    "320": "村镇银行",
    "322": "上海农村商业银行",
    "325": "上海银行",
    "402": "农村信用合作社",
    "403": "中国邮政储蓄银行",
    OTHER_BANK: "其他",
}

# The names people actually write on forms and spreadsheets; abbreviations like 工行 are not accepted.
_SHORT_NAMES: dict[str, str] = {
    "工商银行": "102",
    "农业银行": "103",
    "建设银行": "105",
    "国开行": "201",
    "进出口银行": "202",
    "农业发展银行": "203",
    "农发行": "203",
    "光大银行": "303",
    "民生银行": "305",
    "广东发展银行": "306",
    "浦发银行": "310",
    "浦东发展银行": "310",
    "农商银行": "314",
    "上海农商银行": "322",
    "农村信用社": "402",
    "农信社": "402",
    "邮储银行": "403",
    "邮政储蓄银行": "403",
    "其它": OTHER_BANK,
}

_BY_NAME: dict[str, str] = {name: code for code, name in BANKS.items()} | _SHORT_NAMES


def bank_by_name(text: str) -> str | None:
    """The bank code for a full or short Chinese name, or for the code itself; None when unknown."""
    key = "".join(unicodedata.normalize("NFKC", text).split())
    if key.lower() == OTHER_BANK:
        return OTHER_BANK
    if key in BANKS:
        return key
    return _BY_NAME.get(key)
