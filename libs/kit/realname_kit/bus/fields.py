"""Reading an event's required fields: a field missing or malformed makes the event poison (dead-lettered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage


def required_text(event: Envelope, key: str) -> str:
    value: Any = event.data.get(key)
    if not isinstance(value, str) or not value:
        raise PoisonMessage(f"{event.type} without a valid {key}")
    return value


def required_instant(event: Envelope, key: str) -> datetime:
    """An ISO 8601 instant with its time zone."""
    try:
        when = datetime.fromisoformat(required_text(event, key))
    except ValueError as exc:
        raise PoisonMessage(f"{event.type} with an invalid {key}") from exc
    if when.tzinfo is None:
        raise PoisonMessage(f"{event.type} with a {key} without its time zone")
    return when
