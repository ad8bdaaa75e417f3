"""A worker's consent to face processing (PIPL art. 29) is a fact of the past, given in one of a few known ways."""

from __future__ import annotations

from datetime import date, timedelta

from realname_attendance.rules.face_consent import CONSENT_METHODS, consent_date_problem


def test_every_way_of_consenting_has_words_for_the_clerk_in_chinese_and_english() -> None:
    assert set(CONSENT_METHODS) == {"signed_form", "electronic", "recorded_statement"}
    for zh, en in CONSENT_METHODS.values():
        assert zh and en and zh != en


def test_a_consent_given_today_or_before_is_recorded_and_one_dated_tomorrow_is_not() -> None:
    today = date(2026, 12, 5)
    assert consent_date_problem(today, today) is None
    assert consent_date_problem(today - timedelta(days=400), today) is None
    assert consent_date_problem(today + timedelta(days=1), today) == "consent_in_future"
