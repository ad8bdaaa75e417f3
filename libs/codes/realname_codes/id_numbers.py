"""Resident identity numbers (GB 11643-1999): region, birth date, sequence and check character."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from realname_codes.invalid import Invalid
from realname_codes.regions import region_exists

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"\d{17}[\dX]")


@dataclass(frozen=True)
class IdNumber:
    value: str
    region: str
    birth_date: date
    sequence: str
    sex: Literal["male", "female"]


class InvalidIdNumber(Exception):
    def __init__(self, invalid: Invalid) -> None:
        super().__init__(invalid.message)
        self.invalid = invalid


def check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_id_number(raw: str) -> str:
    """Full-width digits and letters become ASCII, spaces go, a lower-case x becomes X."""
    return "".join(unicodedata.normalize("NFKC", raw).split()).upper()


def id_number_problem(raw: str, today: date) -> Invalid | None:
    """Why ``raw`` is not a valid second-generation ID number on ``today``, or None when it is."""
    value = normalise_id_number(raw)
    return _structure_problem(value) or _content_problem(value, today)


def parse_id_number(raw: str, today: date) -> IdNumber:
    value = normalise_id_number(raw)
    problem = id_number_problem(value, today)
    born = _birth_date(value)
    if problem or born is None:
        raise InvalidIdNumber(problem or _birth_date_invalid(value))
    sequence = value[14:17]
    return IdNumber(value=value, region=value[:6], birth_date=born, sequence=sequence,
                    sex="male" if int(sequence) % 2 else "female")


def make_id_number(region: str, birth_date: date, sequence: int) -> str:
    """A valid number for tests, seeds and simulators (an odd ``sequence`` makes a man)."""
    if not (len(region) == 6 and region.isdigit()) or not 0 <= sequence <= 999:
        raise ValueError(f"need a six-digit region and a sequence 0–999, got {region!r} and {sequence}")
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def _structure_problem(value: str) -> Invalid | None:
    if len(value) == 15 and value.isdigit():
        return Invalid("id_number_first_generation",
                       "This is a 15-digit first-generation ID number; those cards have been invalid since 2013. "
                       "Ask the worker for their second-generation (18-character) card.",
                       "这是15位第一代身份证号码，第一代身份证自2013年起已停止使用，请让工人提供第二代（18位）身份证。")
    if len(value) != 18:
        return Invalid("id_number_length",
                       f"An ID number has 18 characters, this one has {len(value)}. Enter it again from the card.",
                       f"身份证号码应为18位，当前为{len(value)}位，请对照身份证重新输入。")
    if not _SHAPE.fullmatch(value):
        return Invalid("id_number_characters",
                       "An ID number has 17 digits followed by a digit or X. Enter it again from the card.",
                       "身份证号码应为17位数字加1位数字或X，请对照身份证重新输入。")
    return None


def _content_problem(value: str, today: date) -> Invalid | None:
    if not region_exists(value[:6]):
        return Invalid("id_number_region_unknown",
                       f"The first six digits {value[:6]} are not a region code that ever existed. "
                       "Check them against the card.",
                       f"前六位{value[:6]}不是任何时期存在过的行政区划代码，请对照身份证核对。")
    born = _birth_date(value)
    if born is None:
        return _birth_date_invalid(value)
    if born > today:
        return Invalid("id_number_birth_date_future",
                       f"The date of birth in the number ({born.isoformat()}) is in the future. "
                       "Check digits 7–14 against the card.",
                       f"号码中的出生日期（{born.isoformat()}）晚于今天，请对照身份证核对第7至14位。")
    expected = check_character(value[:17])
    if value[17] != expected:
        return Invalid("id_number_check_character",
                       f"The last character should be {expected}, not {value[17]}: a character was mistyped. "
                       "Compare the whole number with the card.",
                       f"校验位应为{expected}而不是{value[17]}：号码中有字符录入错误，请对照身份证逐位核对。")
    return None


def _birth_date_invalid(value: str) -> Invalid:
    return Invalid("id_number_birth_date_invalid",
                   f"Digits 7–14 ({value[6:14]}) are not a real date of birth. Check them against the card.",
                   f"第7至14位（{value[6:14]}）不是有效的出生日期，请对照身份证核对。")


def _birth_date(value: str) -> date | None:
    """The date in digits 7–14; None unless it is a real date from 1900 on (no one older is registering)."""
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    return born if born.year >= 1900 else None
