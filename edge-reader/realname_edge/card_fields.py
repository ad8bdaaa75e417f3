"""The fields of a card's identity record as every reader's command set returns them, checked one by one.

A field that no real card could hold raises ``CardUnreadable`` naming it (R2): a damaged card or a misread.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from realname_codes.ethnicities import ETHNICITIES
from realname_edge.errors import CardUnreadable

FOR_LIFE = "长期"  # the validity end of cards issued to people over 46
_SEX: dict[str, Literal["male", "female"]] = {"1": "male", "2": "female"}  # GB/T 2261.1
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_DATE_SHAPE = re.compile(r"[0-9]{8}")


def required_text(text: dict[str, str], name: str) -> str:
    value = text[name]
    if not value or not value.isprintable():
        raise CardUnreadable("empty or holds control characters", field=name)
    return value


def sex_of(code: str) -> Literal["male", "female"]:
    if code not in _SEX:
        raise CardUnreadable(f"sex code {code!r} is neither 1 (male) nor 2 (female)", field="sex")
    return _SEX[code]


def ethnicity_of(code: str) -> str:
    if code not in ETHNICITIES:
        raise CardUnreadable(f"{code!r} is not a GB 3304 ethnicity code", field="ethnicity")
    return code


def date_of(text: dict[str, str], name: str) -> date:
    value = text[name]
    try:
        if not _DATE_SHAPE.fullmatch(value):
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise CardUnreadable(f"{value!r} is not a date (YYYYMMDD)", field=name) from exc


def id_number_of(text: dict[str, str]) -> str:
    # Only the shape: a number with a wrong check character is refused downstream with its own reason (R2).
    value = text["id_number"]
    if not _ID_SHAPE.fullmatch(value):
        raise CardUnreadable(f"{len(value)} characters that are not 17 digits and a digit or X", field="id_number")
    return value
