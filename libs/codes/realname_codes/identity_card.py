"""The identity part of a registration: what the card reader returned, checked against itself (R1, R2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from realname_codes.card_validity import check_card_validity
from realname_codes.ethnicities import ETHNICITIES
from realname_codes.findings import Finding
from realname_codes.id_numbers import id_number_problem, parse_id_number

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Chinese characters or Latin letters, in parts joined by the middle dot of transcribed minority names.
_NAME = re.compile(rf"[{_HAN}A-Za-z]+(?:·[{_HAN}A-Za-z]+)*")
_NAME_MAX = 30


def check_identity(identity: Mapping[str, Any], today: date) -> list[Finding]:
    return [*_id_number(identity, today), *_name(identity.get("name")), *_ethnicity(identity.get("ethnicity")),
            *check_card_validity(identity, today)]


def _id_number(identity: Mapping[str, Any], today: date) -> list[Finding]:
    raw = str(identity.get("id_number") or "")
    problem = id_number_problem(raw, today)
    if problem:
        return [Finding.of("identity.id_number", problem)]
    number = parse_id_number(raw, today)
    findings = []
    if identity.get("sex") != number.sex:
        findings.append(_sex_mismatch(number.sex))
    if identity.get("birth_date") != number.birth_date:
        findings.append(Finding(
            "identity.birth_date", "birth_date_mismatch",
            f"The ID number gives the birth date {number.birth_date} but {identity.get('birth_date')} was entered: "
            "check both against the card.",
            f"身份证号码中的出生日期为{number.birth_date}，与填写的{identity.get('birth_date')}不符，请对照身份证核对。"))
    return findings


def _sex_mismatch(sex: str) -> Finding:
    parity, sex_zh = ("odd", "男") if sex == "male" else ("even", "女")
    return Finding("identity.sex", "sex_mismatch",
                   f"The ID number is a {sex}'s (its 17th digit is {parity}) but the sex given differs: "
                   "check the number and the sex against the card.",
                   f"身份证号码第17位表示性别为{sex_zh}，与填写的性别不符，请对照身份证核对。")


def _name(raw: object) -> list[Finding]:
    name = str(raw or "").strip()
    if len(name) <= _NAME_MAX and _NAME.fullmatch(name):
        return []
    return [Finding("identity.name", "name_invalid",
                    f"A name is 1 to {_NAME_MAX} Chinese characters or letters; minority names join their parts "
                    "with the middle dot · (as in 阿依古丽·买买提). Copy the name exactly as printed on the card.",
                    f"姓名应为1至{_NAME_MAX}个汉字或字母，少数民族姓名各部分之间用间隔号“·”连接（如 阿依古丽·买买提），"
                    "请按身份证上的姓名填写。")]


def _ethnicity(code: object) -> list[Finding]:
    if isinstance(code, str) and code in ETHNICITIES:
        return []
    return [Finding("identity.ethnicity", "ethnicity_unknown",
                    f"{code!r} is not an ethnicity code: use the two-digit GB 3304 code, 01 (汉族) to 56 (基诺族).",
                    f"“{code}”不是民族代码，请填写GB 3304两位代码：01（汉族）至56（基诺族）。")]
