"""Deny-by-default access and problem+json errors of every service app, on a probe service of the test's own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import MetaData
from werkzeug.test import TestResponse

from realname_kit.auth import ANYONE, AUTHENTICATED, allow, current_caller
from realname_kit.bus.tables import messaging_tables
from realname_kit.keys import ensure_signing_keys
from realname_kit.problems import PROBLEM_JSON
from realname_kit.service import ServiceSpec
from realname_kit.settings import Settings
from realname_kit.web import CORRELATION_HEADER, create_service_app

ISSUER, AUDIENCE = "realname-gateway", "realname"
FRESH_CID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class ThingIn(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True, validate=validate.Range(min=1))


def probe_blueprint() -> Blueprint:
    blp = Blueprint("probe", __name__, url_prefix="/probe")

    @blp.route("/public")
    @allow(ANYONE)
    def public() -> Any:
        return {"open": True}

    @blp.route("/regulated")
    class Regulated(MethodView):
        @allow("regulator")
        def get(self) -> Any:
            return {"regulated": True}

    @blp.route("/me")
    @allow(AUTHENTICATED)
    def me() -> Any:
        caller = current_caller()
        return {"subject": caller.subject, "enterprise_id": caller.enterprise_id, "roles": sorted(caller.roles)}

    @blp.route("/things", methods=["POST"])
    @allow(ANYONE)
    @blp.arguments(ThingIn)
    def things(body: dict[str, Any]) -> Any:
        return body

    return blp


def undeclared_blueprint() -> Blueprint:
    blp = Blueprint("naked", __name__, url_prefix="/naked")

    @blp.route("/half")
    class Half(MethodView):
        @allow(ANYONE)
        def get(self) -> Any:
            return {}

        def post(self) -> Any:  # no @allow
            return {}

    @blp.route("/plain")
    def plain() -> Any:  # no @allow
        return {}

    return blp


def probe_spec(tmp_path: Path, blueprint: Blueprint) -> ServiceSpec:
    metadata = MetaData()
    messaging_tables(metadata)
    return ServiceSpec(name="probe", title="probe", metadata=metadata, blueprints=[blueprint], migrations=tmp_path)


def probe_app(spec: ServiceSpec, settings: Settings) -> Flask:
    """The service app over its own tables (the deny-list among them, read when a token comes)."""
    app = create_service_app(spec, settings)
    spec.metadata.create_all(app.extensions["realname"].db.engine)
    return app


@dataclass(frozen=True)
class Keys:
    private: str
    public_file: Path
    other_private: str


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    private, public = tmp_path / "keys" / "signing.pem", tmp_path / "keys" / "signing.pub.pem"
    ensure_signing_keys(private, public)
    other, other_public = tmp_path / "other" / "signing.pem", tmp_path / "other" / "signing.pub.pem"
    ensure_signing_keys(other, other_public)
    return Keys(private.read_text(), public, other.read_text())


def settings_for(tmp_path: Path, public_key_file: Path) -> Settings:
    return Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path),
                              "REALNAME_AUTH_PUBLIC_KEY_FILE": str(public_key_file)})


@pytest.fixture
def app(tmp_path: Path, keys: Keys) -> Flask:
    return probe_app(probe_spec(tmp_path, probe_blueprint()), settings_for(tmp_path, keys.public_file))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def token(key: str, *, roles: tuple[str, ...] = ("regulator",), ent: str | None = "ent-1",
          aud: str = AUDIENCE, iss: str = ISSUER, expires_in: int = 300, sub: str = "user-1") -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "iss": iss, "aud": aud, "iat": now, "exp": now + expires_in,
                              "ent": ent, "roles": list(roles), "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="ES256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs256_with_public_key(public_pem: bytes) -> str:
    """A token "signed" with the public key as an HMAC secret: the classic algorithm-confusion forgery."""
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": "mallory", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300,
                               "roles": ["regulator"]}).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def assert_problem(response: TestResponse, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == PROBLEM_JSON
    body: dict[str, Any] = json.loads(response.get_data(as_text=True))
    assert body["status"] == status
    assert body["reason"] == reason
    assert body["title"]
    return body


# --- who may call what -------------------------------------------------------------------------------------

def test_an_anonymous_caller_may_call_a_public_endpoint(client: FlaskClient) -> None:
    response = client.get("/probe/public")
    assert response.status_code == 200
    assert response.json == {"open": True}


def test_an_anonymous_caller_of_a_regulator_endpoint_is_asked_to_log_in(client: FlaskClient) -> None:
    assert_problem(client.get("/probe/regulated"), 401, "unauthenticated")


def test_a_regulator_may_call_a_regulator_endpoint(client: FlaskClient, keys: Keys) -> None:
    response = client.get("/probe/regulated", headers=bearer(token(keys.private)))
    assert response.status_code == 200
    assert response.json == {"regulated": True}


def test_a_labour_company_may_not_call_a_regulator_endpoint(client: FlaskClient, keys: Keys) -> None:
    response = client.get("/probe/regulated", headers=bearer(token(keys.private, roles=("labour",))))
    body = assert_problem(response, 403, "forbidden")
    assert "regulator" in body["detail"]


def test_an_authenticated_endpoint_sees_the_callers_enterprise_and_roles(client: FlaskClient, keys: Keys) -> None:
    response = client.get("/probe/me", headers=bearer(token(keys.private, roles=("labour", "foreman"),
                                                            ent="ent-42", sub="u-7")))
    assert response.status_code == 200
    assert response.json == {"subject": "u-7", "enterprise_id": "ent-42", "roles": ["foreman", "labour"]}


def test_any_valid_token_may_call_an_authenticated_endpoint_even_without_roles(client: FlaskClient,
                                                                                keys: Keys) -> None:
    response = client.get("/probe/me", headers=bearer(token(keys.private, roles=(), ent=None)))
    assert response.status_code == 200
    assert response.json == {"subject": "user-1", "enterprise_id": None, "roles": []}


def test_an_anonymous_caller_of_an_authenticated_endpoint_is_asked_to_log_in(client: FlaskClient) -> None:
    assert_problem(client.get("/probe/me"), 401, "unauthenticated")


# --- tokens that are refused ---------------------------------------------------------------------------------

def test_an_expired_token_is_refused_as_expired(client: FlaskClient, keys: Keys) -> None:
    response = client.get("/probe/regulated", headers=bearer(token(keys.private, expires_in=-60)))
    assert_problem(response, 401, "token_expired")


def test_a_token_signed_by_another_key_is_refused_as_invalid(client: FlaskClient, keys: Keys) -> None:
    response = client.get("/probe/regulated", headers=bearer(token(keys.other_private)))
    assert_problem(response, 401, "token_invalid")


def test_a_token_for_another_audience_is_refused(client: FlaskClient, keys: Keys) -> None:
    response = client.get("/probe/regulated", headers=bearer(token(keys.private, aud="someone-else")))
    assert_problem(response, 401, "token_invalid")


def test_a_token_from_another_issuer_is_refused(client: FlaskClient, keys: Keys) -> None:
    response = client.get("/probe/regulated", headers=bearer(token(keys.private, iss="mallory")))
    assert_problem(response, 401, "token_invalid")


def test_an_unsigned_token_is_refused(client: FlaskClient) -> None:
    now = int(time.time())
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": "mallory", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300,
                               "roles": ["regulator"]}).encode())
    unsigned = f"{header}.{payload}."
    assert_problem(client.get("/probe/regulated", headers=bearer(unsigned)), 401, "token_invalid")


def test_a_token_forged_with_the_public_key_as_an_hmac_secret_is_refused(client: FlaskClient, keys: Keys) -> None:
    forged = hs256_with_public_key(keys.public_file.read_bytes())
    assert_problem(client.get("/probe/regulated", headers=bearer(forged)), 401, "token_invalid")


def test_a_token_whose_roles_are_not_a_list_is_refused(client: FlaskClient, keys: Keys) -> None:
    now = int(time.time())
    odd = jwt.encode({"sub": "u", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300, "roles": "regulator"},
                     keys.private, algorithm="ES256")
    assert_problem(client.get("/probe/regulated", headers=bearer(odd)), 401, "token_invalid")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token abc", "Bearer", "Bearer ", "abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(client: FlaskClient, header: str) -> None:
    response = client.get("/probe/regulated", headers={"Authorization": header})
    assert_problem(response, 401, "token_invalid")


def test_without_a_public_key_tokens_cannot_be_verified(tmp_path: Path, keys: Keys) -> None:
    app = probe_app(probe_spec(tmp_path, probe_blueprint()), settings_for(tmp_path, tmp_path / "missing.pub.pem"))
    response = app.test_client().get("/probe/regulated", headers=bearer(token(keys.private)))
    assert_problem(response, 401, "token_unverifiable")


# --- declaring access -----------------------------------------------------------------------------------------

def test_the_app_refuses_to_start_when_an_endpoint_declares_no_access_rule(tmp_path: Path, keys: Keys) -> None:
    with pytest.raises(RuntimeError) as refused:
        create_service_app(probe_spec(tmp_path, undeclared_blueprint()), settings_for(tmp_path, keys.public_file))
    message = str(refused.value)
    assert "POST /naked/half" in message
    assert "GET /naked/plain" in message
    assert "GET /naked/half" not in message


def test_allow_needs_at_least_one_role() -> None:
    with pytest.raises(ValueError, match="at least one"):
        allow()


@pytest.mark.parametrize(("path", "headers_of", "status"), [
    ("/probe/public", lambda k: {}, 200),
    ("/probe/regulated", lambda k: {}, 401),
    ("/probe/regulated", lambda k: bearer(token(k.private)), 200),
    ("/probe/regulated", lambda k: bearer(token(k.private, roles=("labour",))), 403),
])
def test_head_is_admitted_exactly_like_get(client: FlaskClient, keys: Keys, path: str,
                                           headers_of: Callable[[Keys], dict[str, str]], status: int) -> None:
    head = client.head(path, headers=headers_of(keys))
    get = client.get(path, headers=headers_of(keys))
    assert head.status_code == get.status_code == status
    assert head.get_data() == b""


def test_the_health_and_api_documents_are_public(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200


# --- the shape of every error ---------------------------------------------------------------------------------

ERRORS: list[tuple[str, str, str, Callable[[Keys], dict[str, str]], int, str]] = [
    ("anonymous", "GET", "/probe/regulated", lambda k: {}, 401, "unauthenticated"),
    ("wrong-role", "GET", "/probe/regulated", lambda k: bearer(token(k.private, roles=("labour",))), 403,
     "forbidden"),
    ("expired", "GET", "/probe/regulated", lambda k: bearer(token(k.private, expires_in=-60)), 401,
     "token_expired"),
    ("other-key", "GET", "/probe/regulated", lambda k: bearer(token(k.other_private)), 401, "token_invalid"),
    ("not-bearer", "GET", "/probe/regulated", lambda k: {"Authorization": "Basic eDp5"}, 401, "token_invalid"),
    ("no-such-path", "GET", "/probe/nowhere", lambda k: {}, 404, "not_found"),
    ("wrong-method", "DELETE", "/probe/public", lambda k: {}, 405, "method_not_allowed"),
    ("invalid-body", "POST", "/probe/things", lambda k: {}, 422, "validation_failed"),
]


@pytest.mark.parametrize(("method", "path", "headers_of", "status", "reason"),
                         [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_every_error_is_problem_json_carrying_the_callers_correlation_id(
        client: FlaskClient, keys: Keys, method: str, path: str, headers_of: Callable[[Keys], dict[str, str]],
        status: int, reason: str) -> None:
    headers = {**headers_of(keys), CORRELATION_HEADER: "probe-cid-1"}
    response = client.open(path, method=method, headers=headers, json={"count": 0} if method == "POST" else None)
    body = assert_problem(response, status, reason)
    assert response.headers[CORRELATION_HEADER] == "probe-cid-1"
    assert body["correlation_id"] == "probe-cid-1"
    assert body["instance"] == path


@pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 65, "semi;colon", "日本"])
def test_an_error_without_a_usable_correlation_id_gets_a_fresh_one(client: FlaskClient, sent: str | None) -> None:
    headers = {} if sent is None else {CORRELATION_HEADER: sent}
    response = client.get("/probe/regulated", headers=headers)
    body = assert_problem(response, 401, "unauthenticated")
    fresh = response.headers[CORRELATION_HEADER]
    assert FRESH_CID.match(fresh)
    assert fresh != sent
    assert body["correlation_id"] == fresh


def test_each_request_without_a_correlation_id_gets_its_own(client: FlaskClient) -> None:
    first = client.get("/probe/public").headers[CORRELATION_HEADER]
    second = client.get("/probe/public").headers[CORRELATION_HEADER]
    assert first != second


def test_a_successful_response_echoes_the_correlation_id_too(client: FlaskClient) -> None:
    response = client.get("/probe/public", headers={CORRELATION_HEADER: "ok-123"})
    assert response.headers[CORRELATION_HEADER] == "ok-123"


def test_a_validation_error_lists_each_field_with_a_reason_and_words_in_both_languages(client: FlaskClient) -> None:
    response = client.post("/probe/things", json={"count": 0, "unexpected": 1})
    body = assert_problem(response, 422, "validation_failed")
    assert {(e["field"], e["reason"]) for e in body["errors"]} == {
        ("name", "required"), ("count", "out_of_range"), ("unexpected", "unknown_field")}
    assert all(e["message"] and e["message_zh"].startswith(e["field"]) for e in body["errors"])
    assert body["message"] and body["message_zh"]


def test_a_mistyped_field_says_so(client: FlaskClient) -> None:
    body = assert_problem(client.post("/probe/things", json={"name": 3, "count": "many"}), 422, "validation_failed")
    assert {(e["field"], e["reason"]) for e in body["errors"]} == {("name", "invalid_type"), ("count", "invalid_type")}


def test_a_valid_body_passes_validation(client: FlaskClient) -> None:
    response = client.post("/probe/things", json={"name": "脚手架", "count": 2})
    assert response.status_code == 200
    assert response.json == {"name": "脚手架", "count": 2}


def test_an_automatic_options_request_on_a_class_based_view_is_not_refused_as_undeclared(
        client: FlaskClient) -> None:
    response = client.options("/probe/regulated")
    assert response.status_code != 403
