"""The body of ``PUT /api/v1/auth/projects/{project_id}/manager``: an account id, or a new account (R32)."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from realname_gateway.auth.schemas import AccountIn, ManagerIn, ManagerOut

NEW = {"username": "pm.zhang", "display_name": "张经理", "password": "correct horse 42", "phone": "13812345678"}


def test_a_new_account_is_read_as_account_creation_reads_it() -> None:
    body = ManagerIn().load({"account": NEW})
    assert body == {"account": AccountIn().load(NEW)}


def test_a_new_account_is_refused_field_by_field_under_account() -> None:
    with pytest.raises(ValidationError) as caught:
        ManagerIn().load({"account": {**NEW, "username": "a b", "phone": "12345", "display_name": ""}})
    messages = caught.value.messages
    assert isinstance(messages, dict) and set(messages["account"]) == {"username", "phone", "display_name"}


def test_either_field_alone_is_a_valid_shape_and_the_endpoint_decides_on_both_or_neither() -> None:
    assert ManagerIn().load({"account_id": "a" * 36}) == {"account_id": "a" * 36}
    assert ManagerIn().load({}) == {}


def test_the_answer_shows_the_account_without_its_password() -> None:
    fields = ManagerOut().fields
    assert {"project_id", "enterprise_id", "account_id", "appointed_at", "account"} <= set(fields)
    assert "password" not in ManagerOut().dump({"account": {**NEW, "id": "x"}})["account"]
