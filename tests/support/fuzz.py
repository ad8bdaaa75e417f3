"""What the API fuzz test needs: the merged OpenAPI document, a platform to fuzz, callers, and checks.

The document is read at collection time (the test has one item per operation), so it is built from the
gateway and every service app on throwaway settings (a temporary data dir, all-in-one mode, no database
connection, no broker): only the apps' routes and schemas are involved. The platform fuzzed is built
like ``tests.support.platform.build_platform``, with limits and token lifetimes raised for thousands of
requests from one address over several minutes.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from flask import Flask
from schemathesis import Case, CheckContext, CheckFunction, Config, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from realname_gateway.app import create_app as create_gateway
from realname_gateway.upstream import WsgiUpstream
from realname_kit.db import Database
from realname_kit.service import load_spec
from realname_kit.settings import SERVICES, Settings
from realname_kit.web import create_service_app
from realname_launcher.platform import ensure_development_secrets
from tests.support.platform import Platform
from tests.support.stack import Stack

PROBLEM_JSON = "application/problem+json"
SEED = 20261125  # fixed: CI and a local run generate the same requests
TOKEN_SECONDS = 6 * 3600  # a fuzz run outlives the default five-minute access token
HIGH_RATE = "1000000/minute"  # the limits themselves are tested elsewhere; here they would only answer 429


def examples_per_operation() -> int:
    """200 in CI (the requirement), 25 locally; ``REALNAME_FUZZ_EXAMPLES`` overrides either."""
    given = os.environ.get("REALNAME_FUZZ_EXAMPLES")
    if given:
        return int(given)
    return 200 if os.environ.get("CI") else 25


def api_document() -> dict[str, Any]:
    """The gateway's merged ``/openapi.json`` (every service's operations and the auth API)."""
    with tempfile.TemporaryDirectory(prefix="realname-fuzz-doc-") as tmp:
        settings = Settings.from_env({"REALNAME_DATA_DIR": tmp})
        upstreams = {name: WsgiUpstream(create_service_app(load_spec(name), settings,
                                                           Database(settings.database_url_for(name))))
                     for name in SERVICES}
        gateway = create_gateway(settings, upstreams, Database(settings.database_url_for("gateway")))
        response = gateway.test_client().get("/openapi.json")
        assert response.status_code == 200, response.get_data(as_text=True)
        document: dict[str, Any] = response.get_json()
        assert not document.get("x-unavailable"), f"services missing from the document: {document['x-unavailable']}"
        return document


def without_security(document: dict[str, Any]) -> dict[str, Any]:
    """The document with no operation asking for a bearer token: for negative fuzzing, which would otherwise
    count a request without one as invalid input, whereas each caller's token is always sent. Who may call
    what is the authorization matrix's to test."""
    stripped = copy.deepcopy(document)
    for operations in stripped.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return stripped


def fuzz_config(mode: str) -> Config:
    """Reproducible generation of ``mode`` ("positive" or "negative") data; every phase of the pytest run
    (the document's examples, the coverage cases, then ``examples_per_operation()`` fuzzed ones)."""
    return Config.from_dict({
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"mode": mode, "max-examples": examples_per_operation(), "database": "none"},
        # Invalid input must be refused with a 4xx: a 5xx is no refusal (and fails `not_a_server_error`).
        "checks": {"negative_data_rejection": {"expected-statuses": ["4xx"]}},
    })


@dataclass
class FuzzPlatform:
    platform: Platform
    settings: Settings

    @property
    def app(self) -> Flask:
        app: Flask = self.platform.client.application
        return app


def build_fuzz_platform(stack: Stack) -> FuzzPlatform:
    stack.migrate(*SERVICES, "gateway")
    settings = Settings.from_env(stack.env(REALNAME_RATE_LIMIT_LOGIN=HIGH_RATE, REALNAME_RATE_LIMIT_WRITE=HIGH_RATE,
                                           REALNAME_RATE_LIMIT_LOGIN_ADDRESS=HIGH_RATE,
                                           REALNAME_RATE_LIMIT_CHALLENGE=HIGH_RATE,
                                           REALNAME_ACCESS_TOKEN_SECONDS=str(TOKEN_SECONDS)))
    ensure_development_secrets(settings)
    upstreams = {name: WsgiUpstream(create_service_app(load_spec(name), settings, stack.db(name)))
                 for name in SERVICES}
    gateway = create_gateway(settings, upstreams, stack.db("gateway"))
    return FuzzPlatform(Platform(stack, gateway.test_client()), settings)


# Checks. A check is called with (context, response, case); it fails by raising AssertionError.

def success_matches_schema(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A 2xx answer has a declared media type and matches the schema declared for its status."""
    if not 200 <= response.status_code < 300:
        return None
    content_type_conformance(ctx, response, case)
    return response_schema_conformance(ctx, response, case)


def errors_are_problems(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A 4xx/5xx answer is RFC 9457 problem+json with the HTTP status and a stable ``reason``."""
    if response.status_code < 400:
        return None
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    assert media_type == PROBLEM_JSON, f"error {response.status_code} answered as {media_type!r}, not {PROBLEM_JSON}"
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"error {response.status_code} body is not JSON: {response.text[:200]!r}") from exc
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    assert body.get("status") == response.status_code, \
        f"problem status {body.get('status')!r} differs from the HTTP status {response.status_code}"
    assert isinstance(body.get("reason"), str) and body["reason"], f"problem without a reason: {body!r}"
    assert isinstance(body.get("title"), str) and body["title"], f"problem without a title: {body!r}"
    return None


CHECKS: list[CheckFunction] = [not_a_server_error, success_matches_schema, errors_are_problems, negative_data_rejection]


HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def without_invalid_input(document: dict[str, Any]) -> list[str]:
    """Labels of the operations no request can break: no body, no query, at most string path parameters
    (an empty one would not even reach the operation). Schemathesis has no invalid request to send them."""
    labels = []
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            if "requestBody" not in operation and all(p["in"] == "path" and p["schema"].get("type") == "string"
                                                      for p in parameters):
                labels.append(f"{method.upper()} {path}")
    return labels
