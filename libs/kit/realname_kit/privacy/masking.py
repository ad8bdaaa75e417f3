"""Masks for display (R4): as much as privacy allows, so a person can compare, and never more.

- ID number, 18 or 15 characters: the 6-digit region and the last four (``310104********123X``).
- Mobile phone, 11 digits: the first three and the last four (``138****5678``).
- Bank card: the last four only, in a fixed shape that hides the length (``**** **** **** 0123``).

Anything else (a short, long or garbled value) shows at most its last four characters, and only when at
least as many are hidden; shorter values are all stars. The empty string or ``None`` gives ``""``.
Values are normalised first (see ``normalise``), so spaces and full-width digits do not shift the mask.
"""

from __future__ import annotations

from realname_kit.privacy.normalise import normalise

ID_LENGTHS = (15, 18)
MOBILE_LENGTH = 11
TAIL = 4
CARD_GROUPS = "**** **** **** "


def mask_id_number(value: str | None) -> str:
    text = normalise(value or "", "id_number")
    if len(text) in ID_LENGTHS:
        return text[:6] + "*" * (len(text) - 6 - TAIL) + text[-TAIL:]
    return _tail_only(text)


def mask_phone(value: str | None) -> str:
    digits = normalise(value or "", "phone")
    if len(digits) == MOBILE_LENGTH:
        return digits[:3] + "*" * (MOBILE_LENGTH - 3 - TAIL) + digits[-TAIL:]
    return _tail_only(digits)


def mask_bank_card(value: str | None) -> str:
    digits = normalise(value or "", "bank_card")
    if not digits:
        return ""
    return CARD_GROUPS + (digits[-TAIL:] if len(digits) >= 2 * TAIL else "****")


def _tail_only(text: str) -> str:
    if len(text) >= 2 * TAIL:
        return "*" * (len(text) - TAIL) + text[-TAIL:]
    return "*" * len(text)
