"""The one password check: common, guessable and short passwords are refused, wherever a password is set."""

from __future__ import annotations

import re

import pytest

from realname_gateway.auth.password_policy import MIN_LENGTH, common_passwords, weakness
from realname_gateway.auth.passwords import hash_password, verify_password
from realname_kit.problems import Problem

NAMES = ("zhao.liu", "赵六", "福建劳务有限公司", "91350100M000100Y43")


def test_password12_is_refused_as_weak_in_english_and_chinese() -> None:
    with pytest.raises(Problem) as refused:
        hash_password("password12")
    problem = refused.value
    assert (problem.status, problem.reason, problem.extra["weakness"]) == (422, "weak_password", "common")
    assert re.search(r"[\u4e00-\u9fff]", problem.message_zh) and f"at least {MIN_LENGTH}" in (problem.detail or "")


@pytest.mark.parametrize(("password", "why"), [
    ("Passw0rd", "too_short"),             # short
    ("qwertyuiop", "common"),              # in the list
    ("Password2026!", "common"),           # a common one with digits and a sign around it
    ("woaini1314!", "common"),
    ("ZhaoLiu#2026x", "contains_name"),    # the user name, in another case
    ("zhao.liu_2026", "contains_name"),
    ("福建劳务有限公司2026", "contains_name"),
    ("91350100M000100Y43", "contains_name"),  # the credit code
    ("13812345678", "digits_only"),
    ("abcabcabcabc", "pattern"),
    ("zzzzzzzzzzzz9", "pattern"),
    ("asdf1234qwer", "pattern"),
    ("9876543210zyx", "pattern"),
    ("hunter2hunter2", "pattern"),
    ("sunsetbeach", "letters_only"),
])
def test_guessable_passwords_are_refused_for_what_makes_them_guessable(password: str, why: str) -> None:
    found = weakness(password, NAMES)
    assert found is not None and found.code == why, (password, found)


@pytest.mark.parametrize("password", ["correct horse 42", "another secret 7", "Xk9#mq2Lw!",
                                      "correcthorsebatterystaple", "长城-夕阳-2031"])
def test_passwords_a_guesser_would_not_try_early_are_accepted(password: str) -> None:
    assert weakness(password, NAMES) is None
    assert verify_password(hash_password(password, NAMES), password)


def test_the_common_list_is_shipped_with_the_package() -> None:
    assert len(common_passwords()) > 19_000 and "password12" in common_passwords()
