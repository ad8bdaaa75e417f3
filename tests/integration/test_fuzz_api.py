"""Schemathesis fuzzes every operation of the gateway's merged OpenAPI document (every service and the auth
API), as an anonymous caller, a labour enterprise (a real certificate login) and a regulator.

Two kinds of requests, one test item per operation and caller for each:

* ``test_valid_requests``: requests that fit the document (its examples, schemathesis's coverage cases,
  then ``examples_per_operation()`` generated ones: 200 in CI, 25 locally, ``REALNAME_FUZZ_EXAMPLES``).
* ``test_invalid_requests``: requests that break it (wrong types, missing or extra fields, values out of
  range, bad formats), which must be refused with a 4xx: never a 2xx, never a 5xx.

What every answer is checked against (``tests.support.fuzz.CHECKS``):

* no 5xx, ever (``not_a_server_error``);
* a 2xx has a declared media type and matches the schema declared for its status
  (``content_type_conformance`` + ``response_schema_conformance``);
* a 4xx/5xx is ``application/problem+json`` (RFC 9457) whose ``status`` is the HTTP status, with a
  ``reason`` and a ``title``. This is checked instead of the document's error schemas, deliberately: most
  error statuses (401/403/404/409/429) are not declared per operation, and the declared ``422``/``default``
  responses are flask-smorest's generic ``*Error`` schema (``application/json``, ``status`` a string, no
  ``reason``), which is not what any service sends. Status-code conformance is not checked for the same
  reason; the problem+json contract is what clients rely on, and it holds for every error status;
* invalid input is refused (``negative_data_rejection``, any 4xx accepted as a refusal).

Operations with nothing a request could get wrong (no body, no query, string path parameters only) have no
``test_invalid_requests`` item.

The run is reproducible: a fixed seed, no example database. Rate limits and token lifetimes are raised
for the run (the limits have tests of their own).

A bug the fuzzer found is kept in ``REGRESSIONS`` with the minimal request that showed it: the items of
that operation and caller send it first, every run, so the bug cannot come back unnoticed whatever the
number of examples (a fuzzer may or may not hit it in 25).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import assume
from schemathesis import APIOperation, Case

from tests.support.fuzz import (
    CHECKS,
    TOKEN_SECONDS,
    FuzzPlatform,
    api_document,
    build_fuzz_platform,
    fuzz_config,
    without_invalid_input,
    without_security,
)
from tests.support.platform import bearer
from tests.support.stack import Stack
from tests.support.tokens import bearer as minted_bearer

LABOUR = ("91350100M000100Y43", "福建劳务有限公司")
CALLERS = ("anonymous", "labour", "regulator")

DOCUMENT = api_document()
POSITIVE = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config("positive"))
NEGATIVE = schemathesis.openapi.from_dict(without_security(DOCUMENT), config=fuzz_config("negative")).exclude(
    name=without_invalid_input(DOCUMENT))


@dataclass(frozen=True)
class Regression:
    """A bug the fuzzer found (since fixed) for these callers, and the smallest request that showed it."""

    reason: str
    callers: tuple[str, ...] = CALLERS
    path_parameters: dict[str, str] | None = None
    query: dict[str, str] | None = None
    body: dict[str, Any] | None = None

    def case(self, operation: APIOperation[Any, Any, Any, Any]) -> Case[Any]:
        given: dict[str, Any] = {"path_parameters": self.path_parameters, "query": self.query}
        if self.body is not None:
            given.update(body=self.body, media_type="application/json")
        return operation.Case(**given)


NUL = "\x00"
NUL_IS_A_500 = ("a string with a NUL character (valid JSON, allowed by the schema) reached PostgreSQL, which "
                "cannot store it: DataError, 500 internal_error instead of a 4xx (now refused at the edge)")
REGRESSIONS: dict[str, Regression] = {
    "GET /api/v1/auth/jwks": Regression(
        "the operation declared no 200 response, so its JWKS was validated against the `default` error schema"),
    "POST /api/v1/auth/login/certificate": Regression(
        NUL_IS_A_500, body={"certificate": "x", "nonce": "a" * 63 + NUL, "signature": "x"}),
    "POST /api/v1/auth/login/password": Regression(NUL_IS_A_500, body={"username": NUL, "password": "x"}),
    "GET /api/v1/auth/accounts/{account_id}": Regression(
        NUL_IS_A_500, ("labour", "regulator"), path_parameters={"account_id": NUL}),
    "PATCH /api/v1/auth/accounts/{account_id}": Regression(
        NUL_IS_A_500, ("labour",), path_parameters={"account_id": NUL}, body={"disabled": True}),
    "GET /api/v1/auth/projects/{project_id}/delegations": Regression(
        NUL_IS_A_500, ("labour",), path_parameters={"project_id": NUL}),
    "DELETE /api/v1/auth/projects/{project_id}/delegations/{delegation_id}": Regression(
        NUL_IS_A_500, ("labour",), path_parameters={"project_id": NUL, "delegation_id": "x"}),
    "GET /api/v1/assignment/parties/{enterprise_id}": Regression(
        NUL_IS_A_500, ("labour", "regulator"), path_parameters={"enterprise_id": NUL}),
    "GET /api/v1/registry/enterprises": Regression(NUL_IS_A_500, ("regulator",), query={"uscc": NUL}),
    "GET /api/v1/registry/enterprises/{enterprise_id}": Regression(
        NUL_IS_A_500, ("labour", "regulator"), path_parameters={"enterprise_id": NUL}),
    "GET /api/v1/reporting/audit": Regression(NUL_IS_A_500, ("regulator",), query={"actor": NUL}),
    "GET /api/v1/reporting/audit/export": Regression(NUL_IS_A_500, ("regulator",), query={"actor": NUL}),
}


def _regression(operation: str, caller: str) -> Regression | None:
    found = REGRESSIONS.get(operation)
    return found if found is not None and caller in found.callers else None


@pytest.fixture(scope="module")
def fuzz(module_stack: Stack) -> FuzzPlatform:
    """One platform for the whole module: what the fuzzer creates stays, as it would in production."""
    return build_fuzz_platform(module_stack)


@pytest.fixture(scope="module")
def credentials(fuzz: FuzzPlatform) -> dict[str, dict[str, str]]:
    labour = fuzz.platform.enterprise_token(*LABOUR, "labour")
    return {"anonymous": {}, "labour": bearer(labour),
            "regulator": minted_bearer(fuzz.settings, "regulator", seconds=TOKEN_SECONDS)}


@pytest.mark.parametrize("caller", CALLERS)
@POSITIVE.parametrize()
def test_valid_requests(case: Case[Any], caller: str, fuzz: FuzzPlatform,
                        credentials: dict[str, dict[str, str]]) -> None:
    regression = _regression(case.operation.label, caller)
    if regression is not None:  # the request the fuzzer once found answered wrongly, every run
        regression.case(case.operation).call_and_validate(app=fuzz.app, headers=credentials[caller], checks=CHECKS)
    case.call_and_validate(app=fuzz.app, headers=credentials[caller], checks=CHECKS)


@pytest.mark.parametrize("caller", CALLERS)
@NEGATIVE.parametrize()
def test_invalid_requests(case: Case[Any], caller: str, fuzz: FuzzPlatform,
                          credentials: dict[str, dict[str, str]]) -> None:
    # An object or a list as the value of a string query parameter has no faithful form in a query string
    # (an empty one is sent as nothing at all, or as `uscc=`): such a case tests the client's serialisation,
    # not our validation. Scalars are sent as they are and stay in.
    assume(not any(isinstance(value, dict | list) for value in (case.query or {}).values()))
    case.call_and_validate(app=fuzz.app, headers=credentials[caller], checks=CHECKS)
