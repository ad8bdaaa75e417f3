"""Masking personal numbers found in free text (log lines, audit reasons): a safety net, not a substitute for
never putting them there (R4).

Anything that looks like a personal number is masked to its last four characters: a run of 11 to 19 digits
(a mobile number, with or without ``+86``; a bank card; a 15-digit ID number), or 17 digits and a check
character (an 18-digit ID number), in either case also when written in groups separated by single spaces or
hyphens. A run inside a longer word (a hex id, a hash, a UUID) is left alone, and so are dates and times (their groups
are shorter than a number's and separated by other characters).
"""

from __future__ import annotations

import re

TAIL = 4
MIN_DIGITS, MAX_DIGITS = 11, 19

# Digits in groups joined by one space or hyphen (one way to split a run: no backtracking blow-up); an
# 18-digit ID may end in X. Not inside a word, nor a hyphenated one (a UUID's last group may be all digits).
_NUMBER = re.compile(r"(?<![0-9A-Za-z-])\+?\d+(?:[ -]\d+)*[Xx]?(?![0-9A-Za-z-])")


def scrub_personal_numbers(text: str) -> str:
    """``text`` with every number that could be an ID, phone or bank-card number masked (``*******1234``)."""
    return _NUMBER.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = "".join(c for c in found if c.isdigit() or c in "Xx")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or (not digits[-1].isdigit() and len(digits) != 18):
        return found
    return "*" * (len(digits) - TAIL) + digits[-TAIL:]
