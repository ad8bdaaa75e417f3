"""No log line carries a full ID, phone or bank-card number (R4, PIPL), whoever logs it, however it is written."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from realname_kit.logs import configure_logging
from realname_kit.privacy import scrub_personal_numbers

NUMBERS = ["110101199003071234", "11010119900307123X", "13912345678", "6222020000000012345"]


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("spelled", [lambda n: n, lambda n: " ".join(n[i:i + 4] for i in range(0, len(n), 4)),
                                     lambda n: f"+86 {n}" if len(n) == 11 else n])
def test_a_personal_number_in_text_keeps_only_its_last_four(number: str, spelled: object) -> None:
    text = f"took {spelled(number)}, done"  # type: ignore[operator]
    scrubbed = scrub_personal_numbers(text)
    assert number[:-4] not in scrubbed.replace(" ", "") and scrubbed.endswith(f"{number[-4:]}, done")


@pytest.mark.parametrize("text", [
    "2026-12-05T10:44:24.123456+00:00", "id 2f1c0a8e-1b2c-4d5e-9f00-123456789012", "masked 110101********1234",
    "rows=1200 took 35 ms", "USCC 91350100M000100Y43", "correlation 4f0c1e9a3b7d44c2a1e5b6c7d8e9f0a1",
])
def test_other_text_is_left_alone(text: str) -> None:
    assert scrub_personal_numbers(text) == text


def test_every_log_line_is_scrubbed_its_values_and_its_exception_included(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    configure_logging("INFO", "json")
    structlog.get_logger("t").warning("lookup", query={"id_number": NUMBERS[0]}, phones=[NUMBERS[2]])
    try:
        raise ValueError(f"card {NUMBERS[3]} refused")
    except ValueError:
        structlog.get_logger("t").exception("failed")
        logging.getLogger("t").exception("stdlib %s", NUMBERS[1])
    written = stderr.getvalue()
    assert "lookup" in written and "failed" in written and "stdlib" in written and "ValueError" in written
    assert not [n for n in NUMBERS if n[:-4] in written], written
