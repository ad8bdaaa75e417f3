"""The JSON envelope of every event: what survives the trip and what is refused as malformed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_kit.bus.envelope import Envelope, MalformedEnvelope

FIELDS = ("id", "type", "version", "occurred_at", "source", "correlation_id", "data")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def _valid() -> dict[str, Any]:
    envelope = Envelope(type="enterprise.registered", source="registry", data={"uscc": "91350100M000100Y43"},
                        correlation_id="c0ffee")
    raw: dict[str, Any] = json.loads(envelope.to_json())
    return raw


def _body(raw: object) -> bytes:
    return json.dumps(raw).encode()


def test_an_envelope_survives_the_round_trip_unchanged() -> None:
    envelope = Envelope(type="enterprise.registered", source="registry", data={"kind": "labour", "n": 3},
                        version=2, correlation_id="abc-123")
    assert Envelope.from_json(envelope.to_json()) == envelope
    assert Envelope.from_json(envelope.to_json().decode()) == envelope


@given(data=st.dictionaries(st.text(), json_values, max_size=5),
       correlation_id=st.none() | st.text(min_size=1, max_size=64),
       version=st.integers(min_value=1, max_value=1000))
def test_any_json_data_survives_the_round_trip(data: dict[str, Any], correlation_id: str | None,
                                               version: int) -> None:
    envelope = Envelope(type="punch.recorded", source="attendance", data=data, version=version,
                        correlation_id=correlation_id)
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_chinese_text_survives_and_travels_as_utf8_not_escapes() -> None:
    name = "福州建工（集团）有限公司"
    envelope = Envelope(type="enterprise.registered", source="registry", data={"name": name, "城市": "福州"})
    body = envelope.to_json()
    assert name.encode() in body
    assert b"\\u" not in body
    decoded = Envelope.from_json(body)
    assert decoded.data == {"name": name, "城市": "福州"}


def test_an_envelope_has_every_field_of_the_contract_and_nothing_else() -> None:
    assert set(_valid()) == set(FIELDS)


@pytest.mark.parametrize("body", [b"", b"not json", b"{", b"{'id': 1}", b"\x00\x01"], ids=repr)
def test_a_body_that_is_not_json_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedEnvelope, match="not JSON"):
        Envelope.from_json(body)


@pytest.mark.parametrize("body", [b"[]", b"[1, 2]", b'"text"', b"42", b"null", b"true"], ids=repr)
def test_json_that_is_not_an_object_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedEnvelope, match="not a JSON object"):
        Envelope.from_json(body)


@pytest.mark.parametrize("missing", FIELDS)
def test_an_envelope_missing_a_field_is_malformed_naming_the_field(missing: str) -> None:
    raw = _valid()
    del raw[missing]
    with pytest.raises(MalformedEnvelope, match=missing):
        Envelope.from_json(_body(raw))


@pytest.mark.parametrize(("name", "value"), [
    ("id", 1), ("id", ""), ("id", None),
    ("type", None), ("type", ""), ("type", ["a"]),
    ("version", "1"), ("version", 1.5), ("version", None),
    ("occurred_at", 0), ("occurred_at", None),
    ("source", None), ("source", 7),
    ("data", []), ("data", "x"), ("data", None),
    ("correlation_id", 5), ("correlation_id", {}),
    pytest.param("version", True),
])
def test_an_envelope_field_of_the_wrong_type_is_malformed(name: str, value: object) -> None:
    raw = _valid()
    raw[name] = value
    with pytest.raises(MalformedEnvelope, match="wrong types"):
        Envelope.from_json(_body(raw))


@pytest.mark.parametrize("body", [
    b"\xff\xfe\xfd",
    b"\xc3\x28",
    json.dumps(_valid(), ensure_ascii=False).replace("registry", "r\u00e9gistry").encode("latin-1"),
], ids=["garbage", "broken-sequence", "latin-1"])
def test_bytes_that_are_not_utf8_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedEnvelope):
        Envelope.from_json(body)


def test_an_envelope_encoded_in_utf16_is_malformed() -> None:
    body = json.dumps(_valid()).encode("utf-16")
    with pytest.raises(MalformedEnvelope):
        Envelope.from_json(body)


def test_deeply_nested_json_is_malformed_rather_than_a_crash() -> None:
    body = b'{"data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(MalformedEnvelope):
        Envelope.from_json(body)


def test_fields_outside_the_contract_are_ignored() -> None:
    raw = _valid()
    raw["extra"] = "ignored"
    envelope = Envelope.from_json(_body(raw))
    assert envelope.id == raw["id"]
