"""marshmallow's messages become findings: a dotted field, a reason code from marshmallow's error key, and
words in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from realname_assignment.assignment_schemas import AssignIn
from realname_kit.schema_errors import FieldRefusal, field_errors
from realname_reporting.api import AuditFilterArgs


class Bank(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=3))


class Form(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=4))
    born = fields.Date()
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    count = fields.Integer(validate=validate.Range(min=1, max=9))
    code = fields.String(validate=validate.Regexp(r"^\d+$", error="Digits only."))
    banks = fields.List(fields.Nested(Bank))
    note = fields.String(data_key="remark", validate=validate.Length(min=1, max=3))

    @validates_schema
    def _pair(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("kind") == "b" and "count" not in data:
            raise ValidationError(FieldRefusal("A b needs a count.", reason="count_required",
                                               message_zh="类型为 b 时须填写数量。"), "count")


def findings(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Form().load(body)
    return {e["field"]: e for e in field_errors(caught.value.messages, caught.value.data, Form())}


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({}, "name", "required"),
    ({"name": None}, "name", "required"),
    ({"name": 5}, "name", "invalid_type"),
    ({"name": "toolong"}, "name", "too_long"),
    ({"name": ""}, "name", "too_short"),
    ({"name": "ok", "born": "31/12/2026"}, "born", "invalid_date"),
    ({"name": "ok", "kind": "c"}, "kind", "not_one_of"),
    ({"name": "ok", "count": 10}, "count", "out_of_range"),
    ({"name": "ok", "count": "many"}, "count", "invalid_type"),
    ({"name": "ok", "code": "12a"}, "code", "invalid_format"),
    ({"name": "ok", "banks": [{"code": "1"}, {"code": "1234"}]}, "banks.1.code", "too_long"),
    ({"name": "ok", "banks": [{}]}, "banks.0.code", "required"),
    ({"name": "ok", "other": 1}, "other", "unknown_field"),
    ({"name": "ok", "remark": "longer"}, "remark", "too_long"),
])
def test_each_mistake_has_the_reason_code_of_its_marshmallow_error(body: dict[str, Any], field: str,
                                                                  reason: str) -> None:
    found = findings(body)[field]
    assert found["reason"] == reason and found["message"]
    assert found["message_zh"].startswith(f"{field}：") and found["severity"] == "error"


def test_a_schemas_own_refusal_keeps_its_reason_and_chinese_words() -> None:
    found = findings({"name": "ok", "kind": "b"})["count"]
    assert (found["reason"], found["message"], found["message_zh"]) == (
        "count_required", "A b needs a count.", "类型为 b 时须填写数量。")


@pytest.mark.parametrize(("schema", "body", "field", "reason"), [
    (AuditFilterArgs(), {"from": "2026-02-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"}, "to",
     "range_reversed"),
    (AssignIn(), {"contract_id": "c-1"}, "worker_ids", "workers_or_team_required"),
])
def test_the_services_own_schema_refusals_say_what_to_do_in_chinese(schema: Schema, body: dict[str, Any],
                                                                    field: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        schema.load(body)
    (found,) = field_errors(caught.value.messages, caught.value.data, schema)
    assert (found["field"], found["reason"]) == (field, reason) and "请" in found["message_zh"]
