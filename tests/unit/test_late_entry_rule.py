"""R25: an entry for a day before today needs a reason and evidence; one for today needs neither."""

from __future__ import annotations

from datetime import date, timedelta

from realname_registry.rules.late_entry import is_late_entry, late_entry_lacks

TODAY = date(2026, 12, 4)
YESTERDAY = TODAY - timedelta(days=1)


def test_an_entry_for_today_is_not_late_and_lacks_nothing() -> None:
    assert not is_late_entry(TODAY, TODAY)
    assert late_entry_lacks(TODAY, TODAY, reason=None, evidence=False) == ()


def test_an_entry_for_yesterday_is_late() -> None:
    assert is_late_entry(YESTERDAY, TODAY)


def test_a_late_entry_without_reason_or_evidence_lacks_both_reason_first() -> None:
    assert late_entry_lacks(YESTERDAY, TODAY, reason=None, evidence=False) == ("reason", "evidence")


def test_a_blank_reason_is_no_reason() -> None:
    assert late_entry_lacks(YESTERDAY, TODAY, reason="   ", evidence=True) == ("reason",)


def test_a_late_entry_with_a_reason_still_lacks_its_evidence() -> None:
    assert late_entry_lacks(YESTERDAY, TODAY, reason="signed on paper", evidence=False) == ("evidence",)


def test_a_late_entry_with_reason_and_evidence_lacks_nothing() -> None:
    assert late_entry_lacks(YESTERDAY, TODAY, reason="signed on paper", evidence=True) == ()
