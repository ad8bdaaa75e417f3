"""R32: a delegate exercises exactly the functions delegated to them, on that project only."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import MetaData

from realname_codes.roles import CONFIRM_ENTRY, EXPORT
from realname_kit.auth import AUTHENTICATED, allow, require_project_function
from realname_kit.bus.tables import messaging_tables
from realname_kit.keys import ensure_signing_keys
from realname_kit.service import ServiceSpec
from realname_kit.settings import Settings
from realname_kit.web import create_service_app

# The enterprises of each project's contract chain, as the owning service would know them (R21).
PARTICIPANTS = {"P-1": ("gc-1",), "P-2": ("gc-1",), "P-9": ("other-gc",)}


def entry_blueprint() -> Blueprint:
    bp = Blueprint("entries", __name__, url_prefix="/projects")

    @bp.route("/<project_id>/entries")
    class Entries(MethodView):
        @allow(AUTHENTICATED)
        def post(self, project_id: str) -> Any:
            caller = require_project_function(project_id, CONFIRM_ENTRY, PARTICIPANTS.get(project_id, ()))
            return {"confirmed_by": caller.subject}

    return bp


@pytest.fixture
def private_key(tmp_path: Path) -> str:
    ensure_signing_keys(tmp_path / "keys" / "token-signing.pem", tmp_path / "keys" / "token-signing.pub.pem")
    return (tmp_path / "keys" / "token-signing.pem").read_text()


@pytest.fixture
def client(tmp_path: Path, private_key: str) -> FlaskClient:
    metadata = MetaData()
    messaging_tables(metadata)
    spec = ServiceSpec(name="probe", title="probe", metadata=metadata, blueprints=[entry_blueprint()],
                       migrations=tmp_path)
    app: Flask = create_service_app(spec, Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)}))
    metadata.create_all(app.extensions["realname"].db.engine)  # the deny-list, read when a token comes
    return app.test_client()


def as_staff(key: str, projects: dict[str, list[str]]) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": "clerk-1", "iss": "realname-gateway", "aud": "realname", "iat": now, "exp": now + 300,
              "roles": ["staff"], "acct": "staff", "ent": "gc-1", "proj": projects, "jti": uuid.uuid4().hex}
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='ES256')}"}


def test_a_delegate_may_exercise_the_delegated_function_on_its_project(client: FlaskClient, private_key: str) -> None:
    answer = client.post("/projects/P-1/entries", headers=as_staff(private_key, {"P-1": [CONFIRM_ENTRY]}))
    assert answer.status_code == 200 and answer.get_json() == {"confirmed_by": "clerk-1"}


def test_a_delegate_may_not_exercise_it_on_another_project(client: FlaskClient, private_key: str) -> None:
    answer = client.post("/projects/P-2/entries", headers=as_staff(private_key, {"P-1": [CONFIRM_ENTRY]}))
    assert answer.status_code == 403 and answer.get_json()["reason"] == "function_not_delegated"


def test_a_delegate_may_not_exercise_a_function_not_delegated(client: FlaskClient, private_key: str) -> None:
    answer = client.post("/projects/P-1/entries", headers=as_staff(private_key, {"P-1": [EXPORT]}))
    assert answer.status_code == 403


def test_a_grant_on_a_project_the_enterprise_takes_no_part_in_is_worth_nothing(
        client: FlaskClient, private_key: str) -> None:
    answer = client.post("/projects/P-9/entries", headers=as_staff(private_key, {"P-9": [CONFIRM_ENTRY]}))
    assert answer.status_code == 403 and answer.get_json()["reason"] == "not_a_participant"


def test_project_staff_without_a_delegation_may_not(client: FlaskClient, private_key: str) -> None:
    assert client.post("/projects/P-1/entries", headers=as_staff(private_key, {})).status_code == 403


def test_a_token_whose_projects_are_malformed_is_refused(client: FlaskClient, private_key: str) -> None:
    answer = client.post("/projects/P-1/entries", headers=as_staff(private_key, {"P-1": "confirm_entry"}))  # type: ignore[dict-item]
    assert answer.status_code == 401 and answer.get_json()["reason"] == "token_invalid"


def test_an_anonymous_caller_is_asked_to_log_in(client: FlaskClient) -> None:
    assert client.post("/projects/P-1/entries").status_code == 401
