"""How dates, instants and money are written on the wire: one form each, in and out, on every service.

- A calendar date is ISO 8601, ``2026-12-04``.
- An instant is ISO 8601 in UTC with ``Z``: ``2026-12-04T01:30:00Z`` (microseconds when there are any). An instant
  given without an offset (``?since=2026-01-01``) is read as China time (Asia/Shanghai), where the sites are.
- Money is a decimal string with exactly two places, ``"4800.00"``. On input a string with up to two places is
  taken, and a JSON number only when it is exactly such an amount (``4800``, ``4800.5``); ``4800.123`` is refused,
  never rounded.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError, fields

from realname_kit.schema_errors import FieldRefusal
from realname_kit.timeutil import CHINA

CENT = Decimal("0.01")
_AMOUNT = re.compile(r"^[+-]?\d{1,10}(\.\d{1,2})?$")  # NUMERIC(12, 2)
MONEY_INVALID = FieldRefusal('An amount of money is a decimal string with at most two places, e.g. "4800.00".',
                             reason="money_invalid",
                             message_zh='金额请写成最多两位小数的字符串，例如 "4800.00"：请改正后重新提交。')


def iso_instant(moment: datetime) -> str:
    """UTC with ``Z``; a naive value is UTC already (SQLite hands stored instants back without their zone)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def aware_instant(moment: datetime) -> datetime:
    """An instant a person typed: without an offset it is China time (the sites' clocks), then UTC."""
    return (moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment).astimezone(UTC)


class Instant(fields.DateTime):
    """Every date-time of the API: ISO 8601 in UTC with ``Z`` out; in, an offset, or China time without one."""

    FORM = "ISO 8601 with an offset; without one, China time (UTC+8). Answered in UTC (Z)."

    def __init__(self, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        metadata["description"] = " ".join(filter(None, (metadata.get("description"), self.FORM)))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else iso_instant(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        return aware_instant(super()._deserialize(value, attr, data, **kwargs))


class Money(fields.Decimal):
    """Every amount of money (yuan): ``"4800.00"`` out; in, a string or an exact JSON number, up to two places."""

    FORM = 'Yuan, a decimal string with two places: "4800.00" (a JSON number only when exact).'

    def __init__(self, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        metadata["description"] = " ".join(filter(None, (metadata.get("description"), self.FORM)))
        metadata.update(type="string", pattern=r"^-?\d{1,10}\.\d{2}$", example="4800.00")
        super().__init__(places=2, as_string=True, allow_nan=False, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        amount = exact_amount(value)
        if amount is None:
            raise ValidationError(MONEY_INVALID)
        return amount


def exact_amount(value: object) -> Decimal | None:
    """The amount ``value`` says exactly, with two places; None when it is not one (never rounded)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)  # the shortest form that reads back as the same number: what the sender wrote
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str) or not _AMOUNT.match(value):
        return None
    try:
        return Decimal(value).quantize(CENT)
    except InvalidOperation:
        return None


class PlatformJSONProvider(DefaultJSONProvider):
    """Flask's JSON with the platform's forms: what escapes a schema is written as a schema would write it
    (Flask's own default writes dates as ``Fri, 04 Dec 2026 00:00:00 GMT``)."""

    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return iso_instant(o)
        if isinstance(o, date):
            return o.isoformat()
        if isinstance(o, Decimal):
            return str(o)
        return DefaultJSONProvider.default(o)
