"""The edge installers on real Flask apps: 429 with Retry-After, 413, strict JSON, security headers."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask, Request, g, request
from flask.testing import FlaskClient
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app

from realname_gateway.docs import docs_blueprint
from realname_kit.auth import ANYONE, AUTHENTICATED, Caller, allow
from realname_kit.bus.tables import messaging_tables
from realname_kit.hardening import (
    MemoryLimiter,
    install_rate_limits,
    install_request_limits,
    install_security_headers,
    parse_rate,
)
from realname_kit.hardening.headers import API_CSP, script_hash
from realname_kit.keys import ensure_signing_keys
from realname_kit.problems import PROBLEM_JSON, install_problem_handlers
from realname_kit.service import ServiceSpec
from realname_kit.settings import Settings
from realname_kit.web import create_service_app, install_correlation

MAX_BYTES = 1024


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def login_account(req: Request) -> str | None:
    if req.path != "/login" or req.method != "POST":
        return None
    body = req.get_json(silent=True)
    return str(body.get("account", "")) if isinstance(body, dict) else ""


def plain_app(clock: FakeClock, max_bytes: int = MAX_BYTES) -> Flask:
    app = Flask("probe", static_folder=None)

    @app.before_request
    def _who() -> None:  # stands in for install_access_control
        subject = request.headers.get("X-Test-Subject")
        if subject:
            g.caller = Caller(subject=subject)

    @app.post("/things")
    def things() -> Any:
        return {"got": request.get_json()}

    @app.post("/login")
    def login() -> Any:
        if request.get_json().get("password") == "right":
            return {"ok": True}
        return {"ok": False}, 401

    @app.post("/challenge")
    def challenge() -> Any:
        return {"nonce": uuid.uuid4().hex}

    @app.post("/relay")
    def relay() -> Any:  # reads the raw stream, as the gateway's proxy does
        return {"bytes": len(request.stream.read())}

    @app.get("/ok")
    def ok() -> Any:
        return {"ok": True}

    @app.get("/cached")
    def cached() -> Any:
        return {"ok": True}, 200, {"Cache-Control": "public, max-age=60"}

    @app.get("/boom")
    def boom() -> Any:
        raise RuntimeError("kaboom")

    @app.get("/openapi.json")
    def openapi() -> Any:
        return {}

    app.register_blueprint(docs_blueprint())
    install_correlation(app)
    install_problem_handlers(app)
    install_rate_limits(app, MemoryLimiter(clock), login_rate=parse_rate("3/minute"),
                        write_rate=parse_rate("5/minute"), login_paths=login_account,
                        login_address_rate=parse_rate("4/minute"), challenge_rate=parse_rate("6/minute"),
                        challenge_paths=lambda r: r.path == "/challenge")
    install_request_limits(app, max_bytes)
    install_security_headers(app)
    return app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> FlaskClient:
    return plain_app(clock).test_client()


def problem(response: TestResponse, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == PROBLEM_JSON
    body: dict[str, Any] = json.loads(response.get_data(as_text=True))
    assert body["reason"] == reason
    return body


def from_ip(addr: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": addr}}


# --- rate limits ---------------------------------------------------------------------------------------------

def test_writes_are_limited_per_address(client: FlaskClient, clock: FakeClock) -> None:
    for _ in range(5):
        assert client.post("/things", json={"a": 1}, **from_ip("10.0.0.1")).status_code == 200
    refused = client.post("/things", json={"a": 1}, **from_ip("10.0.0.1"))
    body = problem(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "12" and body["retry_after"] == 12
    assert "address" in body["detail"]
    assert client.post("/things", json={"a": 1}, **from_ip("10.0.0.2")).status_code == 200
    assert client.get("/ok", **from_ip("10.0.0.1")).status_code == 200  # reads are not writes
    clock.now += 12
    assert client.post("/things", json={"a": 1}, **from_ip("10.0.0.1")).status_code == 200


def test_writes_are_limited_per_caller_across_addresses(client: FlaskClient) -> None:
    alice = {"X-Test-Subject": "alice"}
    for i in range(5):
        assert client.post("/things", json={}, headers=alice, **from_ip(f"10.1.0.{i}")).status_code == 200
    body = problem(client.post("/things", json={}, headers=alice, **from_ip("10.1.0.9")), 429, "rate_limited")
    assert "caller" in body["detail"]
    assert client.post("/things", json={}, headers={"X-Test-Subject": "bob"},
                       **from_ip("10.1.0.9")).status_code == 200


def test_anonymous_writers_do_not_share_one_bucket(client: FlaskClient) -> None:
    for i in range(12):
        assert client.post("/things", json={}, **from_ip(f"10.2.0.{i}")).status_code == 200


def test_failed_logins_are_limited_per_account_and_address(client: FlaskClient) -> None:
    for _ in range(3):
        assert client.post("/login", json={"account": "alice"}, **from_ip("10.3.0.1")).status_code == 401
    refused = client.post("/login", json={"account": " ALICE ", "password": "right"}, **from_ip("10.3.0.1"))
    body = problem(refused, 429, "rate_limited")
    assert "account" in body["detail"] and int(refused.headers["Retry-After"]) == 20
    assert client.post("/login", json={"account": "bob"}, **from_ip("10.3.0.1")).status_code == 401


def test_failed_logins_elsewhere_never_throttle_the_owner_of_the_account(client: FlaskClient) -> None:
    for i in range(9):  # a guesser spread over addresses: the service slows that down, not the limiter
        assert client.post("/login", json={"account": "alice"}, **from_ip(f"10.3.1.{i}")).status_code == 401
    assert client.post("/login", json={"account": "alice", "password": "right"},
                       **from_ip("10.3.2.1")).status_code == 200


def test_failed_logins_are_limited_per_address(client: FlaskClient) -> None:
    for name in ("a", "b", "c", "d"):
        assert client.post("/login", json={"account": name}, **from_ip("10.4.0.1")).status_code == 401
    body = problem(client.post("/login", json={"account": "e"}, **from_ip("10.4.0.1")), 429, "rate_limited")
    assert "address" in body["detail"] and "Failed logins" in body["detail"]
    # the refusal by address used none of e's attempts
    for _ in range(3):
        assert client.post("/login", json={"account": "e"}, **from_ip("10.4.0.2")).status_code == 401


def test_logins_that_succeed_do_not_count_so_an_office_behind_one_address_logs_in(client: FlaskClient) -> None:
    clerks = [client.post("/login", json={"account": f"clerk{i}", "password": "right"}, **from_ip("10.4.1.1"))
              for i in range(30)]
    assert [c.status_code for c in clerks] == [200] * 30
    for _ in range(3):  # the same clerk again and again: still nothing counted against the account
        assert client.post("/login", json={"account": "clerk0", "password": "right"},
                           **from_ip("10.4.1.1")).status_code == 200
    failed = [client.post("/login", json={"account": f"typo{i}"}, **from_ip("10.4.1.1")).status_code
              for i in range(5)]
    assert failed == [401] * 4 + [429]  # failures still do


def test_a_refused_login_gives_back_the_place_it_took_at_the_address(client: FlaskClient) -> None:
    for _ in range(3):
        client.post("/login", json={"account": "mallory"}, **from_ip("10.4.2.1"))
    for _ in range(5):  # mallory's account is locked; these are refused by account and cost the address nothing
        problem(client.post("/login", json={"account": "mallory"}, **from_ip("10.4.2.1")), 429, "rate_limited")
    assert client.post("/login", json={"account": "carol"}, **from_ip("10.4.2.1")).status_code == 401


def test_challenges_have_their_own_limit_and_do_not_count_as_logins(client: FlaskClient, clock: FakeClock) -> None:
    assert [client.post("/challenge", **from_ip("10.4.3.1")).status_code for _ in range(7)] == [200] * 6 + [429]
    body = problem(client.post("/challenge", **from_ip("10.4.3.1")), 429, "rate_limited")
    assert "challenges" in body["detail"]
    assert client.post("/login", json={"account": "a"}, **from_ip("10.4.3.1")).status_code == 401
    clock.now += 10
    assert client.post("/challenge", **from_ip("10.4.3.1")).status_code == 200


def test_a_login_is_not_also_counted_as_a_write(client: FlaskClient) -> None:
    for name in ("a", "b", "c"):
        client.post("/login", json={"account": name}, **from_ip("10.5.0.1"))
    for _ in range(5):
        assert client.post("/things", json={}, **from_ip("10.5.0.1")).status_code == 200


def test_x_forwarded_for_does_not_escape_the_limit(client: FlaskClient) -> None:
    codes = [client.post("/things", json={}, headers={"X-Forwarded-For": f"192.0.2.{i}"},
                         **from_ip("10.6.0.1")).status_code for i in range(6)]
    assert codes == [200] * 5 + [429]


# --- request limits ------------------------------------------------------------------------------------------

def test_a_big_body_is_413_problem_json(client: FlaskClient) -> None:
    big = json.dumps({"x": "y" * MAX_BYTES})
    problem(client.post("/things", data=big, content_type="application/json"), 413, "payload_too_large")
    problem(client.post("/relay", data=b"z" * (MAX_BYTES + 1), content_type="application/json"),
            413, "payload_too_large")


def send_chunked(client: FlaskClient, path: str, body: bytes) -> TestResponse:
    """A chunked upload as gunicorn hands it over: no length, the input stream terminated at the body's end.
    (The test client would give it a Content-Length, so the app is called as a WSGI server calls it.)"""
    environ = EnvironBuilder(path=path, method="POST", data=body, content_type="application/json").get_environ()
    del environ["CONTENT_LENGTH"]
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    app_iter, status, headers = run_wsgi_app(client.application, environ, buffered=True)
    return TestResponse(app_iter, status, headers, request=Request(environ))


def test_a_chunked_body_is_limited_and_checked_too(client: FlaskClient) -> None:
    big = json.dumps({"x": "y" * MAX_BYTES}).encode()
    problem(send_chunked(client, "/things", big), 413, "payload_too_large")
    problem(send_chunked(client, "/relay", b"[" + b" " * MAX_BYTES + b"]"), 413, "payload_too_large")
    problem(send_chunked(client, "/things", b'{"a": 1, "a": 1}'), 400, "json_invalid")
    assert send_chunked(client, "/relay", b'{"a": 1}').json == {"bytes": 8}
    assert send_chunked(client, "/things", b" " * (MAX_BYTES - 2) + b"[]").json == {"got": []}


@pytest.mark.parametrize(("data", "named"), [
    (b'{"a": 1, "a": 2}', "'a' appears twice"),
    (b'{"outer": {"k": 1, "k": 1}}', "'k' appears twice"),
    (b'{"a": NaN}', "NaN"),
    (b'[Infinity]', "Infinity"),
    (b'{"a": -Infinity}', "-Infinity"),
    (b'{"a": 1e999}', "too large"),
    ('{"a": "é"}'.encode("latin-1"), "not UTF-8"),
    (b'{"a": "\\ud800"}', "surrogate"),
    (b'{"a": ', "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested"),
])
def test_bad_json_is_400_json_invalid(data: bytes, named: str) -> None:
    client = plain_app(FakeClock(), max_bytes=1 << 20).test_client()
    body = problem(client.post("/things", data=data, content_type="application/json"), 400, "json_invalid")
    assert named in body["detail"]


def test_a_declared_charset_other_than_utf8_is_refused(client: FlaskClient) -> None:
    response = client.post("/things", data=b'{"a": 1}', content_type="application/json; charset=latin-1")
    assert "UTF-8" in problem(response, 400, "json_invalid")["detail"]


def test_good_json_passes_and_the_stream_is_still_readable(client: FlaskClient) -> None:
    assert client.post("/things", json={"name": "é", "n": [1, 2.5, None]}).get_json() == {
        "got": {"name": "é", "n": [1, 2.5, None]}}
    payload = b'{"forwarded": true}'
    assert client.post("/relay", data=payload, content_type="application/json").get_json() == {
        "bytes": len(payload)}
    assert client.post("/things", data=b'{"a": 1}', content_type="application/merge-patch+json").status_code == 200


def test_a_body_without_a_json_type_is_415(client: FlaskClient) -> None:
    problem(client.post("/things", data=b'{"a": 1}'), 415, "unsupported_media_type")
    problem(client.post("/things", data=b'{"a": 1}', content_type="text/plain"), 415, "unsupported_media_type")
    assert client.post("/login", json={"account": "x", "password": "right"}).status_code == 200
    assert client.post("/relay").get_json() == {"bytes": 0}  # no body: nothing to refuse


# --- headers -------------------------------------------------------------------------------------------------

COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
          "Cross-Origin-Opener-Policy": "same-origin"}


@pytest.mark.parametrize(("path", "status"), [("/ok", 200), ("/nowhere", 404), ("/boom", 500)])
def test_security_headers_on_every_api_response(client: FlaskClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    for name, value in COMMON.items():
        assert response.headers[name] == value
    assert response.headers["Content-Security-Policy"] == API_CSP
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_429_and_413_carry_the_headers_too(client: FlaskClient) -> None:
    response = client.post("/things", data=b"x" * (MAX_BYTES + 1), content_type="application/json")
    assert response.status_code == 413 and response.headers["X-Frame-Options"] == "DENY"
    for _ in range(6):
        response = client.post("/things", json={}, **from_ip("10.7.0.1"))
    assert response.status_code == 429 and response.headers["Content-Security-Policy"] == API_CSP


def test_hsts_only_over_https(client: FlaskClient) -> None:
    secure = client.get("/ok", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/ok").headers


def test_an_endpoint_may_choose_its_own_caching(client: FlaskClient) -> None:
    assert client.get("/cached").headers["Cache-Control"] == "public, max-age=60"


def test_the_docs_page_gets_a_csp_that_admits_swagger_ui(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert csp != API_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    inline = re.findall(rb"<script>(.*?)</script>", page.get_data(), re.DOTALL)
    assert len(inline) == 1
    assert directives["script-src"] == f"'self' '{script_hash(inline[0])}'"  # no 'unsafe-inline' for scripts
    assert "'self'" in directives["style-src"] and "data:" in directives["img-src"]
    assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    for name, value in COMMON.items():
        assert page.headers[name] == value
    asset = client.get("/docs/swagger-ui.css")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("Cache-Control", "")
    assert asset.headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self'")


# --- on a service app ----------------------------------------------------------------------------------------

class ThingIn(Schema):
    name = fields.String(required=True)


def service_app(tmp_path: Path) -> tuple[Flask, str]:
    blp = Blueprint("probe", __name__, url_prefix="/probe")

    @blp.route("/things", methods=["POST"])
    @allow(AUTHENTICATED)
    @blp.arguments(ThingIn)
    def things(body: dict[str, Any]) -> Any:
        return body

    @blp.route("/open", methods=["POST"])
    @allow(ANYONE)
    @blp.arguments(ThingIn)
    def open_things(body: dict[str, Any]) -> Any:
        return body

    metadata = MetaData()
    messaging_tables(metadata)
    spec = ServiceSpec(name="probe", title="probe", metadata=metadata, blueprints=[blp], migrations=tmp_path)
    private, public = tmp_path / "keys" / "k.pem", tmp_path / "keys" / "k.pub.pem"
    ensure_signing_keys(private, public)
    settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path), "REALNAME_AUTH_PUBLIC_KEY_FILE": str(public)})
    app = create_service_app(spec, settings)
    spec.metadata.create_all(app.extensions["realname"].db.engine)  # the deny-list, read when a token comes
    install_rate_limits(app, MemoryLimiter(FakeClock()), login_rate=parse_rate("3/minute"),
                        write_rate=parse_rate("2/minute"), login_paths=lambda _r: None)
    install_request_limits(app, MAX_BYTES)
    install_security_headers(app)
    return app, private.read_text()


def bearer(private: str, sub: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": sub, "iss": "realname-gateway", "aud": "realname", "iat": now, "exp": now + 300,
              "roles": [], "jti": str(uuid.uuid4())}
    return {"Authorization": "Bearer " + jwt.encode(claims, private, algorithm="ES256")}


def test_on_a_service_app(tmp_path: Path) -> None:
    app, private = service_app(tmp_path)
    client = app.test_client()
    problem(client.post("/probe/open", data=b'{"name": "a", "name": "b"}', content_type="application/json",
                        **from_ip("10.8.0.1")), 400, "json_invalid")
    problem(client.post("/probe/open", data=b'{"name": "a"}', content_type="text/plain", **from_ip("10.8.0.2")),
            415, "unsupported_media_type")
    problem(client.post("/probe/open", data=b" " * (MAX_BYTES + 1), content_type="application/json",
                        **from_ip("10.8.0.3")), 413, "payload_too_large")
    problem(client.post("/probe/open", json={}, **from_ip("10.8.0.4")), 422, "validation_failed")
    ok = client.post("/probe/things", json={"name": "a"}, headers=bearer(private, "alice"), **from_ip("10.9.0.1"))
    assert ok.status_code == 200 and ok.headers["Content-Security-Policy"] == API_CSP
    client.post("/probe/things", json={"name": "a"}, headers=bearer(private, "alice"), **from_ip("10.9.0.2"))
    refused = client.post("/probe/things", json={"name": "a"}, headers=bearer(private, "alice"),
                          **from_ip("10.9.0.3"))
    assert "caller" in problem(refused, 429, "rate_limited")["detail"]
    assert refused.headers["Retry-After"] == "30"
