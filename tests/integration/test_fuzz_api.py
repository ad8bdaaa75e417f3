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

The run is reproducible: a fixed seed, no example database. Rate limits and token lifetimes are raised
for the run (the limits have tests of their own). A bug the fuzzer finds is listed in ``KNOWN_BUGS`` for
just the items it breaks, as a strict xfail: the item fails again the day the bug is fixed, so that the
entry is removed then.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis import Case

from tests.support.fuzz import (
    CHECKS,
    TOKEN_SECONDS,
    FuzzPlatform,
    api_document,
    build_fuzz_platform,
    fuzz_config,
)
from tests.support.platform import bearer
from tests.support.stack import Stack
from tests.support.tokens import bearer as minted_bearer

LABOUR = ("91350100M000100Y43", "福建劳务有限公司")
CALLERS = ("anonymous", "labour", "regulator")

DOCUMENT = api_document()
POSITIVE = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config("positive"))
NEGATIVE = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config("negative"))

# (test, operation label, caller) -> what is wrong; "*" for every caller. Each entry is a strict xfail.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def _known_bug(test: str, operation: str, caller: str) -> str | None:
    return KNOWN_BUGS.get((test, operation, caller)) or KNOWN_BUGS.get((test, operation, "*"))


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzPlatform]:
    """One platform for the whole module: what the fuzzer creates stays, as it would in production."""
    stack = Stack(tmp_path_factory.mktemp("fuzz"))
    try:
        yield build_fuzz_platform(stack)
    finally:
        stack.teardown()


@pytest.fixture(scope="module")
def credentials(fuzz: FuzzPlatform) -> dict[str, dict[str, str]]:
    labour = fuzz.platform.enterprise_token(*LABOUR, "labour")
    return {"anonymous": {}, "labour": bearer(labour),
            "regulator": minted_bearer(fuzz.settings, "regulator", seconds=TOKEN_SECONDS)}


@pytest.fixture(autouse=True)
def _strict_xfail_for_known_bugs(request: pytest.FixtureRequest) -> None:
    operation = getattr(request.node, "operation_label", None)
    callspec = getattr(request.node, "callspec", None)
    if operation is None or callspec is None:
        return
    reason = _known_bug(request.node.test_function.__name__, operation, callspec.params["caller"])
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize("caller", CALLERS)
@POSITIVE.parametrize()
def test_valid_requests(case: Case, caller: str, fuzz: FuzzPlatform, credentials: dict[str, dict[str, str]]) -> None:
    case.call_and_validate(app=fuzz.app, headers=credentials[caller], checks=CHECKS)


@pytest.mark.parametrize("caller", CALLERS)
@NEGATIVE.parametrize()
def test_invalid_requests(case: Case, caller: str, fuzz: FuzzPlatform,
                          credentials: dict[str, dict[str, str]]) -> None:
    case.call_and_validate(app=fuzz.app, headers=credentials[caller], checks=CHECKS)
