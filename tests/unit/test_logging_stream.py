"""Logs go to the stderr of the moment, so a swapped and closed stderr never breaks a request."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from realname_kit.logs import configure_logging


def test_logging_configured_while_stderr_was_another_stream_writes_to_the_current_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    configure_logging("INFO", "json")
    first.close()  # a test runner's captured stream, gone once that test ended
    now = io.StringIO()
    monkeypatch.setattr("sys.stderr", now)

    structlog.get_logger("t").info("after_the_swap")
    logging.getLogger("t").warning("stdlib_after_the_swap")

    assert "after_the_swap" in now.getvalue()
    assert "stdlib_after_the_swap" in now.getvalue()
