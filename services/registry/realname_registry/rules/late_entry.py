"""R25: no quiet back-dating. An act recorded for a day before today is a late entry, and a late entry
carries its reason and its evidence (an uploaded file)."""

from __future__ import annotations

from datetime import date
from typing import Literal

Lacking = Literal["reason", "evidence"]


def is_late_entry(on: date, today: date) -> bool:
    return on < today


def late_entry_lacks(on: date, today: date, *, reason: str | None, evidence: bool) -> tuple[Lacking, ...]:
    """What an entry for ``on`` still needs (R25): nothing on or after today; else a reason and evidence."""
    if not is_late_entry(on, today):
        return ()
    lacking: list[Lacking] = []
    if not (reason and reason.strip()):
        lacking.append("reason")
    if not evidence:
        lacking.append("evidence")
    return tuple(lacking)
