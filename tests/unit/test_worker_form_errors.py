"""A registration or edit with broken fields: the domain's checks still run on what did parse (one round)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from realname_kit.schema_errors import field_errors, load_findings, request_findings
from realname_registry.worker_schemas import DeathIn, WorkerIn, WorkerPatch
from tests.support.workers import worker_body

PATHS = [("identity", k) for k in ("name", "sex", "ethnicity", "birth_date", "address", "id_number",
                                   "issuing_authority", "valid_from", "valid_to")] + \
        [("employment", k) for k in ("worker_type", "contract_number", "contract_start", "contract_end", "wage_type",
                                     "base_wage", "bank_code", "wage_card_number", "trade_code")] + [("phone",)]
BROKEN: st.SearchStrategy[object] = st.sampled_from([None, 3, "", "x" * 300, [], {}, "2026-13-45", "not a date"])


def _broken(body: dict[str, Any], path: tuple[str, ...], value: object, drop: bool) -> dict[str, Any]:
    body = copy.deepcopy(body)
    *parents, name = path
    target = body
    for p in parents:
        target = target[p]
    if drop:
        target.pop(name, None)
    else:
        target[name] = value
    return body


@settings(max_examples=150, deadline=None)
@given(broken=st.lists(st.tuples(st.sampled_from(PATHS), BROKEN, st.booleans()), min_size=1, max_size=5))
def test_whatever_part_of_a_registration_parsed_is_checked_without_failing(
        broken: list[tuple[tuple[str, ...], object, bool]]) -> None:
    body = worker_body("team-1", number="310104198503151234")
    body["phone"] = "12345"
    for path, value, drop in broken:
        body = _broken(body, path, value, drop)
    schema = WorkerIn()
    try:
        schema.load(body)
    except ValidationError as invalid:
        errors, _warnings = load_findings(invalid, schema)
        assert all(e["message_zh"] and e["reason"] for e in errors)
        refused = {e["field"] for e in field_errors(invalid.messages, invalid.data, schema)}
        found = {e["field"] for e in errors}
        assert refused <= found
        assert not [f for f in found - refused for r in refused
                    if f.startswith(r + ".") or r.startswith(f + ".")]  # nothing said twice
        assert ("phone" in refused) or ("phone" in found)  # the domain's phone check is never hidden


def test_a_broken_field_hides_no_domain_mistake_and_is_not_reported_twice() -> None:
    body = worker_body("team-1", number="310104198503151234")
    body["phone"] = "12345"
    body["employment"]["contract_start"] = "soon"
    with pytest.raises(ValidationError) as caught:
        WorkerIn().load(body)
    reason, errors, _ = request_findings({"json": caught.value.messages}, caught.value, WorkerIn())
    assert reason == "worker_invalid"
    assert {(e["field"], e["reason"]) for e in errors} == {
        ("employment.contract_start", "invalid_date"), ("identity.id_number", "id_number_check_character"),
        ("phone", "phone_invalid")}


def test_an_edit_is_checked_only_on_the_fields_it_gives() -> None:
    patch = {"phone": "12345", "employment": {"contract_end": "never", "contract_number": "HT-1"}}
    with pytest.raises(ValidationError) as caught:
        WorkerPatch().load(patch)
    _, errors, _ = request_findings({"json": caught.value.messages}, caught.value, WorkerPatch())
    assert {(e["field"], e["reason"]) for e in errors} == {("employment.contract_end", "invalid_date"),
                                                           ("phone", "phone_invalid")}


def test_a_schema_without_domain_checks_answers_validation_failed() -> None:
    with pytest.raises(ValidationError) as caught:
        DeathIn().load({})
    reason, errors, warnings = request_findings({"json": caught.value.messages}, caught.value, DeathIn())
    assert reason == "validation_failed" and warnings == [] and {e["reason"] for e in errors} == {"required"}
