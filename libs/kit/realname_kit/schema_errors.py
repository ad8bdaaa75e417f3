"""Missing or mistyped fields in the shape of the domain's findings: ``{field, reason, message, message_zh}``.

marshmallow says what is wrong in English only, keyed by field; here each message becomes a finding with
a reason code derived from marshmallow's error keys (``required``, ``invalid_type``, ``too_long``,
``not_one_of``, ``invalid_date`` …). A schema that also has domain checks (``findings_beside``) has them run
on the fields that did parse, so that a clerk sees every mistake of a form in one answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from marshmallow import Schema, ValidationError, fields, validate

Entry = dict[str, str]

# marshmallow's own messages (its error keys in comments), in the order they are tried.
_BY_MESSAGE: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), code) for p, code in (
    (r"Missing data for required field\.", "required"),  # required
    (r"Field may not be null\.", "required"),  # null
    (r"Not a valid (\w+ )?(date|datetime|time|period of time)\.|.* cannot be formatted as a", "invalid_date"),
    (r"Shorter than minimum length \d+\.", "too_short"),  # Length.message_min
    (r"Longer than maximum length \d+\.", "too_long"),  # Length.message_max
    (r"Length must be between \d+ and \d+\.", "length"),  # Length.message_all: decided by the value
    (r"Length must be \d+\.", "wrong_length"),  # Length.message_equal
    (r"Must be one of: |One or more of the choices you made was not in: ", "not_one_of"),  # OneOf, Enum
    (r"Must be (greater|less) than ", "out_of_range"),  # Range
    (r"Number too large\.", "too_large"),  # too_large
    (r"Not a valid email address\.", "invalid_email"),
    (r"Not a valid URL\.", "invalid_url"),
    (r"Not a valid UUID\.", "invalid_uuid"),
    (r"String does not match expected pattern\.", "invalid_format"),  # Regexp
    (r"Unknown field\.", "unknown_field"),  # unknown
    (r"Not a valid |Invalid (input )?type\.|Special numeric values", "invalid_type"),  # invalid, type, special
))
# A validator's own words (``error=…``) say what its class checks.
_BY_VALIDATOR: tuple[tuple[type[validate.Validator], str], ...] = (
    (validate.Length, "length"), (validate.OneOf, "not_one_of"), (validate.Range, "out_of_range"),
    (validate.Regexp, "invalid_format"), (validate.Email, "invalid_email"), (validate.URL, "invalid_url"),
)
_ZH = {
    "required": "此项必填：请填写。",
    "invalid_type": "填写的类型不对：请按要求填写（数字、文字或选项）。",
    "invalid_date": "日期不对：请按“年-月-日”填写，如 2026-01-31。",
    "too_short": "内容太短或为空：请填写完整。",
    "too_long": "内容太长：请删减后再提交。",
    "wrong_length": "长度不对：请核对位数后填写。",
    "not_one_of": "不是可选的值：请从给定的选项中选择。",
    "out_of_range": "数值超出允许的范围：请核对。",
    "too_large": "数值太大：请核对。",
    "invalid_email": "邮箱地址格式不对：请核对。",
    "invalid_url": "网址格式不对：请核对。",
    "invalid_uuid": "编号格式不对：请按原样复制编号。",
    "invalid_format": "格式不对：请核对后填写。",
    "unknown_field": "无法识别的项目：请删去。",
    "invalid": "填写的内容不对：请核对后填写。",
}


class FieldRefusal(str):
    """A schema's own refusal of a field (``raise ValidationError(FieldRefusal(…), field)``): English text that
    also carries its reason code and Chinese words, which marshmallow's messages keep as they are."""

    reason: str
    message_zh: str

    def __new__(cls, message: str, *, reason: str, message_zh: str) -> FieldRefusal:
        refusal = super().__new__(cls, message)
        refusal.reason, refusal.message_zh = reason, message_zh
        return refusal


@runtime_checkable
class ChecksBeside(Protocol):
    """A schema whose domain checks run on what did parse when other fields did not.

    ``findings_beside`` gets the parsed part of the request and answers findings as dicts
    (``field, reason, message, message_zh[, severity]``); ``invalid_reason`` names the combined refusal."""

    invalid_reason: str

    def findings_beside(self, valid: Mapping[str, Any]) -> Sequence[Mapping[str, str]]: ...


def field_errors(messages: object, data: Any = None, schema: Schema | None = None, *,
                 location: str | None = None) -> list[Entry]:
    """marshmallow's messages of one location (keyed by field) as findings, one per message."""
    out: list[Entry] = []
    _walk(messages, [], data, schema, location=location, out=out)
    return out


def _walk(node: Any, path: list[str], value: Any, owner: Any, *, location: str | None, out: list[Entry]) -> None:
    if isinstance(node, Mapping):
        for key, child in node.items():
            if key == "_schema":
                _walk(child, path, value, None, location=location, out=out)
                continue
            inner = value.get(key) if isinstance(value, Mapping) else (
                value[key] if isinstance(value, list) and isinstance(key, int) and key < len(value) else None)
            _walk(child, [*path, str(key)], inner, _field_of(owner, key), location=location, out=out)
        return
    for message in node if isinstance(node, list) else [node]:
        if isinstance(message, (Mapping, list)):
            _walk(message, path, value, owner, location=location, out=out)
            continue
        field = ".".join(path)
        if isinstance(message, FieldRefusal):
            reason, message_zh = message.reason, message.message_zh
        else:
            reason = _reason(str(message), owner, value)
            message_zh = f"{field}：{_ZH[reason]}" if field else _ZH[reason]
        out.append({"field": field, "reason": reason, "message": str(message), "message_zh": message_zh,
                    "severity": "error", **({"location": location} if location else {})})


def _field_of(owner: Any, key: Any) -> Any:
    """The marshmallow field (or schema) a key of the messages belongs to, when it can be known."""
    if isinstance(owner, fields.Nested):
        owner = owner.schema
    elif isinstance(owner, fields.List):
        return owner.inner
    if not isinstance(owner, Schema):
        return None
    return next((f for name, f in owner.fields.items() if (f.data_key or name) == key), None)  # as sent


def _reason(message: str, field: Any, value: Any) -> str:
    reason = next((code for pattern, code in _BY_MESSAGE if pattern.match(message)), None)
    if reason is None and isinstance(field, fields.Field):
        reason = next((code for v in field.validators for kind, code in _BY_VALIDATOR
                       if isinstance(v, kind) and getattr(v, "error", None) == message), None)
    if reason == "length":
        longest = next((v.max for v in getattr(field, "validators", ()) if isinstance(v, validate.Length)), None)
        too_long = longest is not None and hasattr(value, "__len__") and len(value) > longest
        return "too_long" if too_long else "too_short"
    return reason or "invalid"


def request_findings(messages: Mapping[str, Any], error: object,
                     schema: object) -> tuple[str, list[Entry], list[Entry]]:
    """A request's refusal: its reason, errors and warnings (webargs keys ``messages`` by location)."""
    data = error.data if isinstance(error, ValidationError) else None
    known = schema if isinstance(schema, Schema) else None
    errors = [e for location, tree in messages.items()
              for e in field_errors(tree, data, known, location=location)]
    errors, warnings = _with_domain(errors, error, schema, ())
    return (schema.invalid_reason if isinstance(schema, ChecksBeside) else "validation_failed"), errors, warnings


def load_findings(error: ValidationError, schema: Schema,
                  refused: Sequence[str] = ()) -> tuple[list[Entry], list[Entry]]:
    """The errors and warnings of a failed ``schema.load``, leaving out fields already ``refused``."""
    errors = [e for e in field_errors(error.messages, error.data, schema) if not _overlaps(e["field"], refused)]
    return _with_domain(errors, error, schema, refused)


def _with_domain(errors: list[Entry], error: object, schema: object,
                 refused: Sequence[str]) -> tuple[list[Entry], list[Entry]]:
    """The schema's errors, then the domain's findings on what did parse (``ChecksBeside``)."""
    if not isinstance(schema, ChecksBeside):
        return errors, []
    valid = error.valid_data if isinstance(error, ValidationError) and isinstance(error.valid_data, Mapping) else {}
    known = [*refused, *(e["field"] for e in errors)]
    beside = [dict(f) for f in schema.findings_beside(valid) if not _overlaps(f["field"], known)]
    return ([*errors, *(f for f in beside if f.get("severity", "error") == "error")],
            [f for f in beside if f.get("severity") == "warning"])


def _overlaps(field: str, refused: Sequence[str]) -> bool:
    """A finding on a field already refused, or inside or around it, would say the same twice."""
    return any(field == r or field.startswith(r + ".") or r.startswith(field + ".") for r in refused)
