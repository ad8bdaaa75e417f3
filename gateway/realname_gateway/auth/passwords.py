"""Passwords: argon2 hashes of strong passwords only, and answers that do not tell who exists."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from realname_gateway.auth.password_policy import MIN_LENGTH, weakness
from realname_kit.problems import Problem

_hasher = PasswordHasher()
# Verified when the account does not exist, so that an unknown name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such account: the answer must take the same time")
GOOD_PASSWORD = (f"A good password has at least {MIN_LENGTH} characters, is not a common one, holds neither the user "
                 "name nor the enterprise's name, and is no repeat or run (aaaa, 1234, qwerty): a few unrelated "
                 "words with digits or signs between them are easy to remember and hard to guess.")
GOOD_PASSWORD_ZH = (f"好的密码至少 {MIN_LENGTH} 位，不是常见密码，不含用户名或单位名称，也不是重复或连续的字符"
                    "（如 aaaa、1234、qwerty）：用几个不相关的词，中间加上数字或符号，好记又难猜。")


def hash_password(password: str, names: Iterable[str | None] = ()) -> str:
    """The hash to store; a weak password (``password_policy``) is refused. ``names``: the account's own."""
    weak = weakness(password, names)
    if weak:
        raise Problem(422, "weak_password", "Choose a stronger password", f"{weak.message} {GOOD_PASSWORD}",
                      field="password", weakness=weak.code, message_zh=f"密码太弱：{weak.message_zh}{GOOD_PASSWORD_ZH}")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
