"""Mainland mobile numbers, the worker's contact and the key of their SMS notices."""

from __future__ import annotations

import re
import unicodedata

from realname_codes.invalid import Invalid

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_mobile(raw: str) -> str:
    """Drops separators and the +86 / 0086 country prefix: ``+86 138-0013-8000`` becomes ``13800138000``."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix):]
    return digits


def mobile_problem(raw: str) -> Invalid | None:
    if _MOBILE.fullmatch(normalise_mobile(raw)):
        return None
    return Invalid("phone_invalid",
                   "A mobile number has 11 digits and starts with 13–19 (for example 13800138000). "
                   "Check the number with the worker.",
                   "手机号码应为11位数字，以13至19开头（例如13800138000），请与工人核对。")
