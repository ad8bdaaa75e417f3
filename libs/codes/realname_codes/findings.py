"""A finding: one problem with one field of a request, refused (error) or only flagged (warning)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from realname_codes.invalid import Invalid

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    field: str
    reason: str
    message: str
    message_zh: str
    severity: Severity = "error"

    @classmethod
    def of(cls, field: str, invalid: Invalid, severity: Severity = "error") -> Finding:
        return cls(field, invalid.reason, invalid.message, invalid.message_zh, severity)

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "message": self.message,
                "message_zh": self.message_zh, "severity": self.severity}


def present(value: object) -> bool:
    """A form value counts as given unless it is None or blank text."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def term_missing(field: str, label: str, label_zh: str) -> Finding:
    return Finding(field, "term_missing", f"The {label} is required (R5): enter it.", f"{label_zh}为必填项，请填写。")
