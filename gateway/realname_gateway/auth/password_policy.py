"""What makes a password too weak to set: the one check for every place a password is chosen.

Guessers try the common passwords first (a list of 20,000 from leaked sets, ``common-passwords.NOTICE``), then
the account's own names, then patterns: one character or group repeated, runs of the alphabet, of digits or of a
keyboard row. A password that is one of those, perhaps with a few digits or signs around it, is refused; length
alone (at least ten characters) is not enough.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
PASSPHRASE_LENGTH = 16  # letters only are accepted from this length on: several words
_COMMON = Path(__file__).with_name("common-passwords.txt.gz")
# Runs a guesser walks (and their reverses): the alphabet, the digits, keyboard rows and columns, shifted digits.
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
         "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "!@#$%^&*()")
_SEQUENCES = _RUNS + tuple(run[::-1] for run in _RUNS)
_EDGES = "0123456789!@#$%^&*()-_=+.,;:?~ "  # what people put around a common password to pass a rule


@dataclass(frozen=True)
class Weakness:
    code: str
    message: str
    message_zh: str


TOO_SHORT = Weakness("too_short", f"It has fewer than {MIN_LENGTH} characters.", f"少于 {MIN_LENGTH} 位。")
COMMON = Weakness("common", "It is one of the most common passwords, which are tried first.",
                  "这是最常见的密码之一，会被最先猜到。")
CONTAINS_NAME = Weakness("contains_name", "It contains the user name or the enterprise's name.",
                         "含有用户名或单位名称。")
DIGITS_ONLY = Weakness("digits_only", "It is digits only, like a phone number or a date.",
                       "只有数字，容易被当作电话号码或日期猜到。")
PATTERN = Weakness("pattern", "It is a repeated or sequential pattern (aaaa, abcabc, 1234, qwerty, 1qaz).",
                   "是重复或连续的字符（如 aaaa、abcabc、1234、qwerty、1qaz）。")
LETTERS_ONLY = Weakness("letters_only", f"It is letters only and shorter than {PASSPHRASE_LENGTH} characters.",
                        f"只有字母且少于 {PASSPHRASE_LENGTH} 位。")


def weakness(password: str, names: Iterable[str | None] = ()) -> Weakness | None:
    """Why ``password`` is too weak (the first reason found), or None; ``names`` are the account's own (user
    name, display name, its enterprise's name and credit code), which a guesser knows."""
    folded = password.casefold()
    found = (
        (len(password) < MIN_LENGTH, TOO_SHORT),
        (folded in common_passwords() or folded.strip(_EDGES) in common_passwords(), COMMON),
        (_contains_a_name(folded, names), CONTAINS_NAME),
        (password.isdigit(), DIGITS_ONLY),
        (_is_a_pattern(folded), PATTERN),
        (password.isalpha() and len(password) < PASSPHRASE_LENGTH, LETTERS_ONLY),
    )
    return next((weak for failed, weak in found if failed), None)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _contains_a_name(folded: str, names: Iterable[str | None]) -> bool:
    parts = set()
    for name in names:
        if name:
            parts.add(name.casefold())
            parts.update(re.split(r"[\s._@\-]+", name.casefold()))
    return any(len(part) >= 3 and part in folded for part in parts)


def _is_a_pattern(folded: str) -> bool:
    """One group repeated, very few different characters, or runs and repeats with at most two others between."""
    if re.fullmatch(r"(.+?)\1+", folded, re.DOTALL) or len(set(folded)) < 4:
        return True
    others, i = 0, 0
    while i < len(folded):
        run = _run_at(folded, i)
        if run >= 3:
            i += run
        else:
            others, i = others + 1, i + 1
    return others <= 2


def _run_at(folded: str, start: int) -> int:
    """The length of the longest repeat of one character, or stretch of a walked sequence, from ``start``."""
    same = len(folded[start:]) - len(folded[start:].lstrip(folded[start]))
    longest = same
    for sequence in _SEQUENCES:
        end = start + 1
        while end <= len(folded) and folded[start:end] in sequence:
            end += 1
        longest = max(longest, end - 1 - start)
    return longest
