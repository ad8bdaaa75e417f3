"""The platform's forms of dates, instants and money (realname_kit.formats): one each, in and out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError

from realname_kit.formats import Instant, Money, PlatformJSONProvider, exact_amount


class Form(Schema):
    at = Instant(load_default=None)
    wage = Money(load_default=None, allow_none=True)


def test_an_instant_is_written_in_utc_with_z_whatever_zone_it_was_kept_in() -> None:
    china = timezone(timedelta(hours=8))
    assert Form().dump({"at": datetime(2026, 12, 4, 8, 0, tzinfo=china)})["at"] == "2026-12-04T00:00:00Z"
    assert Form().dump({"at": datetime(2026, 12, 4, 0, 0, 0, 500)})["at"] == "2026-12-04T00:00:00.000500Z"


def test_an_instant_without_an_offset_is_china_time_and_one_with_an_offset_is_that_instant() -> None:
    assert Form().load({"at": "2026-01-01"})["at"] == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert Form().load({"at": "2026-01-01T08:00:00"})["at"] == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert Form().load({"at": "2026-01-01T08:00:00Z"})["at"] == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Form().load({"at": "Fri, 04 Dec 2026 00:00:00 GMT"})


@pytest.mark.parametrize(("given", "amount"), [
    ("4800.00", "4800.00"), ("4800", "4800.00"), ("4800.5", "4800.50"), (4800, "4800.00"), (4800.5, "4800.50"),
    (0.1, "0.10"), ("-12.30", "-12.30"), (9999999999.99, "9999999999.99")])
def test_money_is_taken_when_it_says_an_amount_exactly(given: object, amount: str) -> None:
    assert exact_amount(given) == Decimal(amount)
    assert Form().dump(Form().load({"wage": given}))["wage"] == amount


@pytest.mark.parametrize("given", [4800.001, "4800.001", "4,800.00", " 4800", "1e3", 1e16, True, None, [], "NaN",
                                   "12345678901"])
def test_money_that_would_need_rounding_or_guessing_is_not_an_amount(given: object) -> None:
    assert exact_amount(given) is None


def test_refused_money_says_the_form_in_english_and_chinese() -> None:
    with pytest.raises(ValidationError) as refused:
        Form().load({"wage": 4800.123})
    messages: Any = refused.value.messages
    [said] = messages["wage"]
    assert "4800.00" in said and "金额" in said.message_zh and said.reason == "money_invalid"


def test_what_escapes_a_schema_is_written_as_a_schema_would_write_it() -> None:
    app = Flask(__name__)
    app.json = PlatformJSONProvider(app)
    with app.app_context():
        text = app.json.dumps({"on": date(2026, 12, 4), "at": datetime(2026, 12, 4, tzinfo=UTC), "名": "张三"})
    assert text == '{"at": "2026-12-04T00:00:00Z", "on": "2026-12-04", "名": "张三"}'


def test_the_api_document_says_each_form() -> None:
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin
    spec = APISpec("t", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.schema("Form", schema=Form)
    properties = spec.to_dict()["components"]["schemas"]["Form"]["properties"]
    assert properties["at"]["format"] == "date-time" and "China time" in properties["at"]["description"]
    assert properties["wage"]["type"] == "string" and properties["wage"]["example"] == "4800.00"
    assert '"4800.00"' in properties["wage"]["description"]
