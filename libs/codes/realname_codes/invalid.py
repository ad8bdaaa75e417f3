"""Why a value was refused, in a form that code can branch on and a person can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Invalid:
    """``reason`` is a stable snake_case code; the messages say what is wrong and what to do, in English and Chinese."""

    reason: str
    message: str
    message_zh: str
