"""How a personal-data value is normalised before it is indexed, encrypted (by ``ProtectedField``) or masked.

Kinds:

- ``id_number``: NFKC (full-width digits and ``Ｘ`` from Chinese input methods become ASCII), every
  whitespace removed, upper-cased (the check character ``x`` becomes ``X``).
- ``phone``: ASCII digits only (after NFKC); a ``86`` / ``0086`` country code in front of an 11-digit
  mainland mobile number is dropped, so ``+86 138-1234-5678`` and ``13812345678`` are one number.
- ``bank_card``: ASCII digits only (after NFKC).
- ``text``: NFKC and surrounding whitespace stripped.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Kind = Literal["id_number", "phone", "bank_card", "text"]

_DIGITS = frozenset("0123456789")


def normalise(value: str, kind: Kind) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if kind == "id_number":
        return "".join(text.split()).upper()
    if kind == "phone":
        return _without_country_code(_digits(text))
    if kind == "bank_card":
        return _digits(text)
    if kind == "text":
        return text
    raise ValueError(f"unknown kind of personal data: {kind!r}")


def _digits(text: str) -> str:
    return "".join(c for c in text if c in _DIGITS)


def _without_country_code(digits: str) -> str:
    for prefix in ("0086", "86"):
        rest = digits[len(prefix):]
        if digits.startswith(prefix) and len(rest) == 11 and rest.startswith("1"):
            return rest
    return digits
