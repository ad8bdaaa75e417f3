"""Passwords: argon2 hashes, lockout with back-off, and answers that do not tell who exists."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from realname_kit.problems import Problem

_hasher = PasswordHasher()
# Verified when the account does not exist, so that an unknown name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such account: the answer must take the same time")
FREE_FAILURES = 5          # wrong passwords before the account locks
FIRST_LOCK_SECONDS = 30    # doubled with every further failure
MAX_LOCK_SECONDS = 3600
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    problem = weak_password(password)
    if problem:
        raise Problem(422, "password_weak", "Choose a stronger password", problem, field="password",
                      message_zh=f"密码太弱：至少 {MIN_LENGTH} 位，并混合字母和数字（或其他字符）。")
    return _hasher.hash(password)


def weak_password(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters."
    if password.isdigit() or password.isalpha():
        return "A password needs letters and digits (or other characters) mixed."
    return None


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def lock_until(failures: int, now: datetime) -> datetime | None:
    """After ``failures`` consecutive wrong passwords, the account is locked until this moment."""
    if failures < FREE_FAILURES:
        return None
    seconds = min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES), MAX_LOCK_SECONDS)
    return now + timedelta(seconds=seconds)
