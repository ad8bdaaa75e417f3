"""Every paged list of every service refuses a crafted cursor with 400 ``cursor_invalid``, never a 500.

The lists are found in the gateway's merged OpenAPI document (every operation with a ``cursor`` query
parameter), so a list added later is covered without touching this file. Path parameters name objects that
exist, so the cursor is what is judged; the caller is a regulator, or a general contractor for the lists of
one's own (a regulator may read every other list). Over real
PostgreSQL, where a number beyond bigint or a NUL character fails in the database.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date
from typing import Any

import pytest

from realname_assignment.models import Party
from realname_assignment.parties import UNIT_TYPES
from realname_attendance.projects import project_handlers
from realname_kit.bus.envelope import Envelope
from realname_kit.timeutil import utcnow
from realname_registry.models import ImportJob, Worker
from tests.support.fuzz import TOKEN_SECONDS, FuzzPlatform, api_document, build_fuzz_platform
from tests.support.stack import Stack
from tests.support.tokens import bearer


def _cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


CRAFTED = {
    "huge int": _cursor({"after": 10**30}),
    "just past bigint": _cursor({"after": 2**63}),
    "negative": _cursor({"after": -1}),
    "float": _cursor({"after": 1.5}),
    "exponent float": _cursor({"after": 1e300}),
    "digits in a string": _cursor({"after": "1", "seq": "1"}),
    "bool": _cursor({"after": True}),
    "null": _cursor({"after": None}),
    "nested": _cursor({"after": {"after": 1}}),
    "list": _cursor({"after": [1]}),
    "nul character": _cursor({"after": "\x00"}),
    "extra field": _cursor({"after": 1, "seq": 1, "at": "2026-01-01T00:00:00+00:00", "id": "x"}),
    "empty object": _cursor({}),
    "timestamp without offset": _cursor({"at": "2026-01-01T00:00:00", "seq": 1}),
    "timestamp without offset, by id": _cursor({"at": "2026-01-01T00:00:00", "id": "e-1"}),
    "year beyond 9999": _cursor({"at": "99999-01-01T00:00:00+00:00", "seq": 1}),
    "a number as the timestamp": _cursor({"at": 20260101, "id": "e-1"}),
    "huge seq with a timestamp": _cursor({"at": "2026-01-01T00:00:00+00:00", "seq": 10**30}),
    "nul character in an id": _cursor({"at": "2026-01-01T00:00:00+00:00", "id": "e\x00"}),
    "a number as the id": _cursor({"at": "2026-01-01T00:00:00+00:00", "id": 10**30}),
    "not base64": "!!!!",
    "not json": base64.urlsafe_b64encode(b"not json").decode(),
    "a json list": _cursor([1, 2]),
}


def _paged_lists() -> list[str]:
    found = []
    for path, item in api_document()["paths"].items():
        operation = item.get("get")
        parameters = [*item.get("parameters", []), *(operation or {}).get("parameters", [])]
        if operation is not None and any(p["name"] == "cursor" and p["in"] == "query" for p in parameters):
            found.append(path)
    return found


PAGED_LISTS = _paged_lists()


def test_the_paged_lists_of_every_service_are_found() -> None:
    services = {path.split("/")[3] for path in PAGED_LISTS}
    assert services == {"identity", "registry", "assignment", "attendance", "reporting"}


@pytest.fixture(scope="module")
def fuzz(module_stack: Stack) -> FuzzPlatform:
    return build_fuzz_platform(module_stack)


@pytest.fixture(scope="module")
def path_values(fuzz: FuzzPlatform) -> dict[str, str]:
    """An existing project, worker and import, so that a list under one of them judges the cursor, not the path."""
    stack = fuzz.platform.stack
    with stack.db("assignment").transaction() as session:
        session.add(Party(enterprise_id="e-gc", name="总包公司", uscc="91310000MA1GC00000", kind="general_contractor",
                          unit_type=UNIT_TYPES["general_contractor"], registered_at=utcnow()))
    made = fuzz.platform.client.post("/api/v1/assignment/projects", headers=_as_gc(fuzz), json={
        "name": "滨江住宅", "registration_number": f"BJ-{uuid.uuid4().hex[:10]}",
        "address": "上海市徐汇区龙腾大道1号", "planned_start": "2026-01-01", "planned_completion": "2028-06-30"})
    assert made.status_code == 201, made.get_json()
    with stack.db("attendance").transaction() as session:  # as project.registered tells attendance
        project_handlers["project.registered"](session, Envelope(type="project.registered", source="assignment", data={
            "project_id": made.get_json()["id"], "general_contractor_id": "e-gc", "name": "滨江住宅"}))
    with stack.db("registry").transaction() as session:
        worker = Worker(name="张三", sex="male", ethnicity="01", birth_date=date(1990, 1, 1), address="上海市徐汇区",
                        issuing_authority="上海市公安局", card_valid_from=date(2020, 1, 1), card_valid_to=None,
                        identity_status="unverified", category="construction",
                        # a history lists no sealed field: the seals need not open here
                        id_number_enc="-", id_number_bidx=uuid.uuid4().hex, id_tail_bidx="-",
                        phone_enc="-", phone_bidx="-", phone_tail_bidx="-")
        session.add(worker)
        job = ImportJob(employer_id="e-labour", kind="workers", employer_role="labour", sha256="0" * 64,
                        filename="工人.xlsx", status="done", created_by="op-labour")
        session.add(job)
        session.flush()
        worker_id, import_id = worker.id, job.id
    return {"project_id": made.get_json()["id"], "worker_id": worker_id, "import_id": import_id,
            "month": "2026-11"}  # the attendance ledger's month of a project


def _as_gc(fuzz: FuzzPlatform) -> dict[str, str]:
    return bearer(fuzz.settings, "general_contractor", enterprise_id="e-gc", subject="op-gc",
                  kind="general_contractor", seconds=TOKEN_SECONDS)


@pytest.mark.parametrize("path", PAGED_LISTS)
def test_every_crafted_cursor_is_refused_with_400_cursor_invalid(path: str, fuzz: FuzzPlatform,
                                                                 path_values: dict[str, str]) -> None:
    url = path.format(**path_values)
    reader = next((headers for headers in (bearer(fuzz.settings, "regulator", seconds=TOKEN_SECONDS), _as_gc(fuzz))
                   if fuzz.platform.client.get(url, headers=headers).status_code == 200), None)
    assert reader is not None, f"neither a regulator nor a general contractor may read {url}"
    answers = {name: fuzz.platform.client.get(url, query_string={"cursor": cursor}, headers=reader)
               for name, cursor in CRAFTED.items()}
    wrong = {name: (a.status_code, (a.get_json() or {}).get("reason")) for name, a in answers.items()
             if a.status_code != 400 or a.get_json()["reason"] != "cursor_invalid"}
    assert not wrong, wrong
    refusal = answers["huge int"].get_json()
    assert refusal["message_zh"] and refusal["title"]
