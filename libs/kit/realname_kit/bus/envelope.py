"""The JSON envelope every event travels in: ``{id, type, version, occurred_at, source, correlation_id, data}``."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_FIELDS = ("id", "type", "version", "occurred_at", "source", "correlation_id", "data")


class MalformedEnvelope(ValueError):
    """The bytes are not an envelope: the message can never succeed."""


@dataclass(frozen=True, slots=True)
class Envelope:
    type: str
    source: str
    data: dict[str, Any]
    version: int = 1
    correlation_id: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    # Not part of the JSON: the broker account that published the message, as the broker vouches for it
    # (AMQP ``user_id``, which RabbitMQ refuses to pass on when it differs from the publishing connection's
    # user). None when the transport does not say (the in-process bus, a publisher that did not set it).
    sender: str | None = field(default=None, compare=False)

    def to_json(self) -> bytes:
        return json.dumps({f: getattr(self, f) for f in _FIELDS}, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, body: bytes | str) -> Envelope:
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body  # envelopes are UTF-8
        except UnicodeDecodeError as exc:
            raise MalformedEnvelope(f"body is not UTF-8: {exc}") from exc
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise MalformedEnvelope(f"body is not JSON: {exc}") from exc
        except RecursionError as exc:
            raise MalformedEnvelope("body is nested too deeply") from exc
        if not isinstance(raw, dict):
            raise MalformedEnvelope("body is not a JSON object")
        missing = [f for f in _FIELDS if f not in raw]
        if missing:
            raise MalformedEnvelope(f"envelope lacks {', '.join(missing)}")
        checks = (isinstance(raw["id"], str) and raw["id"], isinstance(raw["type"], str) and raw["type"],
                  type(raw["version"]) is int, isinstance(raw["occurred_at"], str),
                  isinstance(raw["source"], str), isinstance(raw["data"], dict),
                  raw["correlation_id"] is None or isinstance(raw["correlation_id"], str))
        if not all(checks):
            raise MalformedEnvelope("envelope fields have the wrong types")
        return cls(**{f: raw[f] for f in _FIELDS})
