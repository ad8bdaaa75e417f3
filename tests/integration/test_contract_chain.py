"""The contract chain of a project through the assignment service's HTTP API, on PostgreSQL (R13, R21, R22, R24).

The chain most tests build on project P: the general contractor GC awarded a labour subcontract to LA and a
specialty subcontract to SP; SP awarded a labour subcontract, without a name, to LB beneath its own. GC2 is another
general contractor, SP2 another specialty subcontractor, LC and LX labour companies, all outside the chain.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.test import TestResponse

from realname_assignment.app import create_app
from realname_assignment.models import Party
from realname_assignment.parties import UNIT_TYPES
from realname_kit.timeutil import utcnow
from tests.support.credit_codes import uscc_for
from tests.support.stack import Stack
from tests.support.tokens import bearer

BASE = "/api/v1/assignment"
GC, GC2, SP, SP2, LA, LB, LC, LX = "e-gc", "e-gc2", "e-sp", "e-sp2", "e-la", "e-lb", "e-lc", "e-lx"
KINDS = {GC: "general_contractor", GC2: "general_contractor", SP: "specialty", SP2: "specialty",
         LA: "labour", LB: "labour", LC: "labour", LX: "labour"}
ROLE = {"general_contractor": "general_contractor", "specialty": "specialty", "labour": "labour"}
USCC = {enterprise: uscc_for(enterprise) for enterprise in KINDS}
PARTY_NAME = {enterprise: f"{enterprise}公司" for enterprise in KINDS}
PROJECT_NAME = "滨江住宅"
MARKER = "（未填写合同名称）"
CONTRACTS = "SELECT count(*) FROM contracts"
OUTBOX_ROWS = "SELECT count(*) FROM outbox"


@dataclass
class World:
    stack: Stack
    app: Flask
    numbers: count[int] = field(default_factory=count)

    # --- callers and requests -------------------------------------------------------------------------------

    def headers(self, enterprise: str | None, role: str | None = None, **claims: Any) -> dict[str, str]:
        """A token of the enterprise's own login (its role follows its kind), or of ``role`` when given."""
        role = role or ROLE[KINDS[enterprise or ""]]
        return bearer(self.stack.settings, role, enterprise_id=enterprise, **claims)

    def get(self, url: str, enterprise: str | None, role: str | None = None, **query: Any) -> TestResponse:
        return self.app.test_client().get(f"{BASE}{url}", query_string=query,
                                          headers=self.headers(enterprise, role))

    def post(self, url: str, body: dict[str, Any] | None, enterprise: str | None, role: str | None = None,
             headers: dict[str, str] | None = None) -> TestResponse:
        return self.app.test_client().post(f"{BASE}{url}", json=body,
                                           headers=headers or self.headers(enterprise, role))

    def register(self, name: str = PROJECT_NAME, gc: str = GC) -> dict[str, Any]:
        number = f"SH-2026/{next(self.numbers):04d}"
        response = self.post("/projects", {"name": name, "registration_number": number,
                                           "address": "上海市徐汇区龙腾大道1号", "planned_start": "2026-03-01",
                                           "planned_completion": "2027-12-31"}, gc)
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def award(self, project_id: str, by: str, to: str, kind: str, name: str | None = None,
              parent_id: str | None = None, role: str | None = None) -> TestResponse:
        return self.post(f"/projects/{project_id}/contracts", award_body(to, kind, name, parent_id), by, role)

    def awarded(self, project_id: str, by: str, to: str, kind: str, name: str | None = None,
                parent_id: str | None = None) -> dict[str, Any]:
        response = self.award(project_id, by, to, kind, name, parent_id)
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def seen(self, project_id: str, enterprise: str | None, role: str | None = None) -> dict[str, str]:
        """The contracts of the project the caller sees: contractor's enterprise id -> contract id."""
        response = self.get(f"/projects/{project_id}/contracts", enterprise, role)
        assert response.status_code == 200, response.get_json()
        return {c["contractor"]["enterprise_id"]: c["id"] for c in response.get_json()["items"]}

    def complete(self, contract_id: str, enterprise: str, role: str | None = None) -> TestResponse:
        return self.post(f"/contracts/{contract_id}/completion", None, enterprise, role)

    def complete_project(self, project_id: str, enterprise: str, role: str | None = None) -> TestResponse:
        return self.post(f"/projects/{project_id}/completion", None, enterprise, role)

    # --- the database ---------------------------------------------------------------------------------------

    def count(self, sql: str, **params: Any) -> int:
        return self.stack.count("assignment", sql, **params)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """The ``data`` of every event of ``event_type`` in the outbox, oldest first."""
        with self.stack.db("assignment").engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM outbox ORDER BY seq")).scalars()
            envelopes = [json.loads(row) for row in rows]
        return [e["data"] for e in envelopes if e["type"] == event_type]

    def audits(self, action: str) -> list[dict[str, Any]]:
        return [a for a in self.events("audit.recorded") if a["action"] == action]

    def snapshot(self) -> tuple[int, int, str]:
        """What a refused request must leave as it found it: contracts, outbox rows, every contract's state."""
        with self.stack.db("assignment").engine.connect() as conn:
            states = conn.execute(text("SELECT string_agg(id || ':' || status, ',' ORDER BY seq) "
                                       "FROM contracts")).scalar_one()
        return self.count(CONTRACTS), self.count(OUTBOX_ROWS), str(states)


def award_body(to: str, kind: str, name: str | None = None, parent_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"contractor_uscc": USCC.get(to, to), "kind": kind}
    if name is not None:
        body["name"] = name
    if parent_id is not None:
        body["parent_id"] = parent_id
    return body


@dataclass
class Chain:
    project: dict[str, Any]
    own: str  # the project's own (tier-0) contract
    la: str
    sp: str
    lb: str

    @property
    def id(self) -> str:
        return str(self.project["id"])


@pytest.fixture
def world(stack: Stack) -> World:
    stack.migrate("assignment")
    # What the assignment service would have learned from the registry's enterprise.registered events.
    with stack.db("assignment").transaction() as session:
        for enterprise, kind in KINDS.items():
            session.add(Party(enterprise_id=enterprise, name=PARTY_NAME[enterprise], uscc=USCC[enterprise],
                              kind=kind, unit_type=UNIT_TYPES[kind], registered_at=utcnow()))
    return World(stack, create_app(stack.settings, stack.db("assignment")))


@pytest.fixture
def chain(world: World) -> Chain:
    project = world.register()
    own = world.get("/contracts", GC, mine="held").get_json()["items"][0]["id"]
    la = world.awarded(project["id"], GC, LA, "labour", "钢筋劳务分包")["id"]
    sp = world.awarded(project["id"], GC, SP, "specialty", "幕墙专业分包")["id"]
    lb = world.awarded(project["id"], SP, LB, "labour", parent_id=sp)["id"]
    return Chain(project, own, la, sp, lb)


def refused(world: World, before: tuple[int, int, str], response: TestResponse, status: int, reason: str) -> None:
    """The request was refused with ``status`` and ``reason``, and nothing changed."""
    assert (response.status_code, response.get_json()["reason"]) == (status, reason), response.get_json()
    assert response.content_type == "application/problem+json"
    assert world.snapshot() == before


# --- the project's own contract (R13) ---------------------------------------------------------------------------

def test_registering_a_project_gives_its_general_contractor_its_own_tier_0_contract_r13(world: World) -> None:
    project = world.register()
    held = world.get("/contracts", GC, mine="held")
    assert held.status_code == 200
    (own,) = held.get_json()["items"]
    assert (own["project_id"], own["tier"], own["kind"], own["parent_id"]) == (project["id"], 0, "general", None)
    assert own["awarded_by"] == {"enterprise_id": GC, "name": PARTY_NAME[GC]}
    assert own["contractor"] == {"enterprise_id": GC, "name": PARTY_NAME[GC], "uscc": USCC[GC]}
    assert (own["name"], own["display_name"], own["name_missing"]) == (None, PROJECT_NAME, False)
    assert (own["status"], own["completed_at"]) == ("active", None)
    assert world.count(CONTRACTS) == 1
    assert world.get(f"/contracts/{own['id']}", GC).get_json() == own


# --- awarding (R21) ---------------------------------------------------------------------------------------------

def test_the_general_contractor_awards_first_tier_labour_and_specialty_subcontracts_by_credit_code_r21(
        world: World) -> None:
    project = world.register()
    for to, kind, name in ((LA, "labour", "钢筋劳务分包"), (SP, "specialty", "幕墙专业分包")):
        response = world.award(project["id"], GC, to, kind, name)
        assert response.status_code == 201, response.get_json()
        made = response.get_json()
        assert (made["project_id"], made["tier"], made["kind"], made["parent_id"]) == (project["id"], 1, kind, None)
        assert made["awarded_by"] == {"enterprise_id": GC, "name": PARTY_NAME[GC]}
        assert made["contractor"] == {"enterprise_id": to, "name": PARTY_NAME[to], "uscc": USCC[to]}
        assert (made["name"], made["display_name"], made["name_missing"]) == (name, name, False)
        assert (made["status"], made["completed_at"]) == ("active", None) and made["created_at"]
        (event,) = [e for e in world.events("contract.awarded") if e["contract_id"] == made["id"]]
        assert event == {"contract_id": made["id"], "project_id": project["id"], "tier": 1, "kind": kind,
                         "parent_id": None, "awarded_by": GC, "contractor_id": to, "name": name, "status": "active",
                         "created_at": event["created_at"]}
        (audit,) = [a for a in world.audits("contract.awarded") if a["subject"] == made["id"]]
        assert audit["actor"]["enterprise_id"] == GC
    assert world.count(CONTRACTS) == 3  # with the project's own


def test_the_same_award_again_answers_200_with_the_same_contract_and_makes_no_second_one(world: World) -> None:
    project = world.register()
    first = world.award(project["id"], GC, LA, "labour", "钢筋劳务分包")
    again = world.award(project["id"], GC, LA, "labour", "钢筋劳务分包")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert world.count(CONTRACTS) == 2
    assert len(world.events("contract.awarded")) == 1
    assert len(world.audits("contract.awarded")) == 1


def test_a_retry_with_the_credit_code_and_name_typed_with_blanks_is_the_same_award(world: World) -> None:
    project = world.register()
    first = world.awarded(project["id"], GC, LA, "labour", "钢筋劳务分包")
    typed = {"contractor_uscc": f"  {USCC[LA].lower()} ", "kind": "labour", "name": "\u3000钢筋劳务分包  "}
    again = world.post(f"/projects/{project['id']}/contracts", typed, GC)
    assert again.status_code == 200 and again.get_json() == first
    assert len(world.events("contract.awarded")) == 1


def test_other_terms_for_the_same_link_are_a_409_contract_exists_and_change_nothing(world: World) -> None:
    project = world.register()
    world.awarded(project["id"], GC, LA, "labour", "钢筋劳务分包")
    before = world.snapshot()
    for name in ("模板劳务分包", None):
        response = world.award(project["id"], GC, LA, "labour", name)
        refused(world, before, response, 409, "contract_exists")
        assert response.get_json()["existing"]["name"] == "钢筋劳务分包"


def test_a_409_contract_exists_shows_the_existing_contract_as_the_api_answers_it(world: World) -> None:
    project = world.register()
    first = world.awarded(project["id"], GC, LA, "labour", "钢筋劳务分包")
    response = world.award(project["id"], GC, LA, "labour", "模板劳务分包")
    assert response.status_code == 409
    assert response.get_json()["existing"] == first


def test_a_specialty_subcontractor_awards_a_second_tier_labour_subcontract_beneath_its_own_r21(
        world: World) -> None:
    project = world.register()
    sp = world.awarded(project["id"], GC, SP, "specialty", "幕墙专业分包")
    response = world.award(project["id"], SP, LB, "labour", "幕墙安装劳务", parent_id=sp["id"])
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert (made["tier"], made["kind"], made["parent_id"]) == (2, "labour", sp["id"])
    assert made["awarded_by"]["enterprise_id"] == SP and made["contractor"]["enterprise_id"] == LB
    event = world.events("contract.awarded")[-1]
    assert (event["contract_id"], event["tier"], event["parent_id"], event["awarded_by"]) == (made["id"], 2,
                                                                                             sp["id"], SP)
    again = world.award(project["id"], SP, LB, "labour", "幕墙安装劳务", parent_id=sp["id"])
    assert again.status_code == 200 and again.get_json() == made


# --- refused awards change nothing (R21) ------------------------------------------------------------------------

def test_a_labour_company_awards_nothing_403_forbidden_r21(world: World, chain: Chain) -> None:
    before = world.snapshot()
    refused(world, before, world.award(chain.id, LA, LC, "labour"), 403, "forbidden")
    refused(world, before, world.award(chain.id, LA, LC, "labour", parent_id=chain.la), 403, "forbidden")


def test_a_specialty_subcontractor_does_not_award_first_tier_subcontracts_r21(world: World, chain: Chain) -> None:
    before = world.snapshot()
    response = world.award(chain.id, SP, LC, "labour")
    refused(world, before, response, 403, "first_tier_by_general_contractor_only")


def test_a_subcontractor_awards_only_beneath_its_own_contract_r21(world: World, chain: Chain) -> None:
    world.awarded(chain.id, GC, SP2, "specialty", "机电专业分包")
    before = world.snapshot()
    refused(world, before, world.award(chain.id, SP2, LC, "labour", parent_id=chain.sp), 403, "not_your_contract")
    refused(world, before, world.award(chain.id, GC, LC, "labour", parent_id=chain.sp), 403, "not_your_contract")


def test_nothing_is_awarded_beneath_a_labour_subcontract_r21(world: World, chain: Chain) -> None:
    # Only a token claiming a using enterprise's role for the labour company gets past @allow to the chain's rule.
    before = world.snapshot()
    response = world.award(chain.id, LA, LC, "labour", parent_id=chain.la, role="specialty")
    refused(world, before, response, 422, "labour_awards_nothing_beneath")


def test_there_is_no_third_tier_r21(world: World, chain: Chain) -> None:
    before = world.snapshot()
    response = world.award(chain.id, LB, LC, "labour", parent_id=chain.lb, role="specialty")
    refused(world, before, response, 422, "no_third_tier")


def test_beneath_a_specialty_subcontract_only_labour_is_awarded_r21(world: World, chain: Chain) -> None:
    before = world.snapshot()
    response = world.award(chain.id, SP, SP2, "specialty", parent_id=chain.sp)
    refused(world, before, response, 422, "second_tier_is_labour_only")


def test_the_projects_own_contract_is_no_parent_for_first_tier_subcontracts_r21(world: World, chain: Chain) -> None:
    before = world.snapshot()
    response = world.award(chain.id, GC, LC, "labour", parent_id=chain.own)
    refused(world, before, response, 422, "parent_is_the_project")
    assert response.get_json()["field"] == "parent_id"


def test_a_parent_of_another_project_or_none_at_all_is_refused_r21(world: World, chain: Chain) -> None:
    other = world.register(name="临港厂房")
    world.awarded(other["id"], GC, SP, "specialty", "钢结构专业分包")
    before = world.snapshot()
    for parent in (chain.sp, "no-such-contract"):
        response = world.award(other["id"], SP, LC, "labour", parent_id=parent)
        refused(world, before, response, 422, "parent_contract_not_found")


def test_an_unknown_credit_code_is_refused_422_contractor_unknown(world: World, chain: Chain) -> None:
    before = world.snapshot()
    unknown = uscc_for("nobody registered")
    response = world.award(chain.id, GC, unknown, "labour")
    refused(world, before, response, 422, "contractor_unknown")
    assert response.get_json()["contractor_uscc"] == unknown


def test_a_malformed_credit_code_is_refused_422_credit_code_invalid_not_unknown(world: World, chain: Chain) -> None:
    before = world.snapshot()
    mistyped = uscc_for("nobody registered")[:17] + "I"  # I never appears in a credit code
    response = world.award(chain.id, GC, mistyped, "labour")
    refused(world, before, response, 422, "credit_code_invalid")
    assert response.get_json()["field"] == "contractor_uscc" and "营业执照" in response.get_json()["message_zh"]


@pytest.mark.parametrize(("to", "kind"), [(SP2, "labour"), (LC, "specialty"), (GC2, "labour"), (GC2, "specialty")])
def test_a_subcontractor_of_another_kind_is_refused_422_contractor_kind_mismatch(
        world: World, chain: Chain, to: str, kind: str) -> None:
    before = world.snapshot()
    response = world.award(chain.id, GC, to, kind)
    refused(world, before, response, 422, "contractor_kind_mismatch")
    assert response.get_json()["field"] == "contractor_uscc"


def test_an_enterprise_outside_the_chain_cannot_award_on_the_project_404(world: World, chain: Chain) -> None:
    before = world.snapshot()
    refused(world, before, world.award(chain.id, GC2, LC, "labour"), 404, "project_not_found")
    refused(world, before, world.award(chain.id, SP2, LC, "labour"), 404, "project_not_found")
    refused(world, before, world.award("no-such-project", GC, LC, "labour"), 404, "project_not_found")


# --- names (R22) ------------------------------------------------------------------------------------------------

def test_a_contract_without_a_name_shows_the_projects_name_marked_r22(world: World, chain: Chain) -> None:
    blank = world.awarded(chain.id, GC, LC, "labour", "   ")  # a blank name is no name
    shown = {c["id"]: c for c in world.get(f"/projects/{chain.id}/contracts", GC).get_json()["items"]}
    for unnamed in (chain.lb, blank["id"]):
        assert shown[unnamed]["name"] is None
        assert shown[unnamed]["display_name"] == f"{PROJECT_NAME}{MARKER}"
        assert shown[unnamed]["name_missing"] is True
    assert (shown[chain.la]["display_name"], shown[chain.la]["name_missing"]) == ("钢筋劳务分包", False)
    assert (shown[chain.own]["display_name"], shown[chain.own]["name_missing"]) == (PROJECT_NAME, False)
    assert world.get(f"/contracts/{chain.lb}", LB).get_json()["display_name"] == f"{PROJECT_NAME}{MARKER}"


# --- who sees which contracts (R21) -----------------------------------------------------------------------------

def test_the_general_contractor_and_a_regulator_see_the_whole_chain_r21(world: World, chain: Chain) -> None:
    whole = {GC: chain.own, LA: chain.la, SP: chain.sp, LB: chain.lb}
    assert world.seen(chain.id, GC) == whole
    assert world.seen(chain.id, None, "regulator") == whole
    assert world.seen(chain.id, GC, "staff") == whole  # an account of the general contractor
    for contract in whole.values():
        assert world.get(f"/contracts/{contract}", None, "regulator").status_code == 200


def test_a_specialty_subcontractor_sees_its_own_contract_and_those_it_awarded_r21(
        world: World, chain: Chain) -> None:
    assert world.seen(chain.id, SP) == {SP: chain.sp, LB: chain.lb}
    for hidden in (chain.own, chain.la):
        response = world.get(f"/contracts/{hidden}", SP)
        assert (response.status_code, response.get_json()["reason"]) == (404, "contract_not_found")
    assert [c["id"] for c in world.get("/contracts", SP, mine="held").get_json()["items"]] == [chain.sp]
    assert [c["id"] for c in world.get("/contracts", SP, mine="awarded").get_json()["items"]] == [chain.lb]


def test_a_labour_company_sees_only_the_contracts_it_holds_r21(world: World, chain: Chain) -> None:
    assert world.seen(chain.id, LA) == {LA: chain.la}
    assert world.seen(chain.id, LB) == {LB: chain.lb}
    response = world.get(f"/contracts/{chain.sp}", LB)  # its awarding party's contract
    assert (response.status_code, response.get_json()["reason"]) == (404, "contract_not_found")
    assert world.get("/contracts", LB, mine="awarded").get_json()["items"] == []


@pytest.mark.parametrize("stranger", [GC2, SP2, LX])
def test_an_enterprise_outside_the_chain_is_told_the_project_does_not_exist_r21(
        world: World, chain: Chain, stranger: str) -> None:
    for url in (f"/projects/{chain.id}/contracts", f"/projects/{chain.id}"):
        response = world.get(url, stranger)
        assert (response.status_code, response.get_json()["reason"]) == (404, "project_not_found")
    response = world.get(f"/contracts/{chain.la}", stranger)
    assert (response.status_code, response.get_json()["reason"]) == (404, "contract_not_found")
    assert world.get("/projects", stranger).get_json()["items"] == []


def test_a_labour_company_holding_a_contract_now_sees_the_project_r21(world: World) -> None:
    project = world.register()
    assert world.get(f"/projects/{project['id']}", LC).status_code == 404
    assert world.get("/projects", LC).get_json()["items"] == []
    world.awarded(project["id"], GC, LC, "labour", "钢筋劳务分包")
    response = world.get(f"/projects/{project['id']}", LC)
    assert response.status_code == 200 and response.get_json() == project
    assert [p["id"] for p in world.get("/projects", LC).get_json()["items"]] == [project["id"]]


def test_the_chain_is_listed_once_across_pages_in_the_order_it_was_awarded(world: World, chain: Chain) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = world.get(f"/projects/{chain.id}/contracts", GC, **query).get_json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [chain.own, chain.la, chain.sp, chain.lb]


# --- completion (R24) -------------------------------------------------------------------------------------------

def states(world: World, chain: Chain) -> dict[str, tuple[str, bool]]:
    """Each contract's (status, whether completed_at is set), by the regulator's reading."""
    items = world.get(f"/projects/{chain.id}/contracts", None, "regulator").get_json()["items"]
    return {c["id"]: (c["status"], c["completed_at"] is not None) for c in items}


def test_the_awarding_party_completes_a_subcontract_and_those_beneath_it_r24(world: World, chain: Chain) -> None:
    response = world.complete(chain.sp, GC)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["id"], response.get_json()["status"]) == (chain.sp, "completed")
    assert response.get_json()["completed_at"]
    done, open_ = ("completed", True), ("active", False)
    assert states(world, chain) == {chain.own: open_, chain.la: open_, chain.sp: done, chain.lb: done}
    assert world.events("contract.completed") == [
        {"contract_id": chain.sp, "project_id": chain.id, "cause": "contract_completed"},
        {"contract_id": chain.lb, "project_id": chain.id, "cause": "contract_completed"}]
    (audit,) = world.audits("contract.completed")
    assert audit["subject"] == chain.sp and audit["details"]["completed"] == [chain.sp, chain.lb]


def test_a_specialty_subcontractor_completes_the_labour_subcontract_it_awarded_r24(
        world: World, chain: Chain) -> None:
    response = world.complete(chain.lb, SP)
    assert response.status_code == 200 and response.get_json()["status"] == "completed"
    assert states(world, chain)[chain.sp] == ("active", False)
    assert world.events("contract.completed") == [
        {"contract_id": chain.lb, "project_id": chain.id, "cause": "contract_completed"}]


def test_completing_a_contract_again_answers_200_and_changes_nothing_r24(world: World, chain: Chain) -> None:
    first = world.complete(chain.sp, GC)
    before = world.snapshot()
    again = world.complete(chain.sp, GC)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert world.snapshot() == before
    beneath = world.complete(chain.lb, SP)  # completed already with its parent
    assert beneath.status_code == 200 and beneath.get_json()["status"] == "completed"
    assert world.snapshot() == before
    assert len(world.events("contract.completed")) == 2


@pytest.mark.parametrize("stranger", [GC2, SP2])
def test_an_enterprise_outside_the_chain_completing_a_contract_is_told_it_does_not_exist_r24(
        world: World, chain: Chain, stranger: str) -> None:
    before = world.snapshot()
    for contract in (chain.la, chain.sp, chain.lb):
        refused(world, before, world.complete(contract, stranger), 404, "contract_not_found")


def test_only_the_awarding_party_or_the_general_contractor_completes_a_subcontract_r24(
        world: World, chain: Chain) -> None:
    before = world.snapshot()
    refused(world, before, world.complete(chain.sp, SP), 403, "not_the_awarding_party")  # it holds it
    refused(world, before, world.complete(chain.la, LA), 403, "forbidden")  # a labour company completes nothing
    refused(world, before, world.complete(chain.la, SP), 404, "contract_not_found")  # not its part of the chain


def test_the_projects_own_contract_is_completed_with_the_project_only_r24(world: World, chain: Chain) -> None:
    before = world.snapshot()
    response = world.complete(chain.own, GC)
    refused(world, before, response, 422, "complete_the_project")
    assert response.get_json()["contract_id"] == chain.own


def test_completing_the_project_completes_every_contract_and_the_project_once_r24(
        world: World, chain: Chain) -> None:
    world.complete(chain.lb, SP)  # one completed already: it is not completed twice
    response = world.complete_project(chain.id, GC)
    assert response.status_code == 200, response.get_json()
    assert {**response.get_json(), "status": "active"} == chain.project
    assert response.get_json()["status"] == "completed"
    assert world.get(f"/projects/{chain.id}", GC).get_json()["status"] == "completed"
    assert set(states(world, chain).values()) == {("completed", True)}
    by_project = [e for e in world.events("contract.completed") if e["cause"] == "project_completed"]
    assert [e["contract_id"] for e in by_project] == [chain.own, chain.la, chain.sp]
    assert world.events("project.completed") == [{"project_id": chain.id}]

    before = world.snapshot()
    again = world.complete_project(chain.id, GC)
    assert again.status_code == 200 and again.get_json() == response.get_json()
    assert world.snapshot() == before


def test_only_the_projects_general_contractor_completes_it_r24(world: World, chain: Chain) -> None:
    before = world.snapshot()
    refused(world, before, world.complete_project(chain.id, GC2), 404, "project_not_found")
    refused(world, before, world.complete_project(chain.id, SP), 403, "forbidden")
    refused(world, before, world.complete_project(chain.id, LA), 403, "forbidden")
    assert world.get(f"/projects/{chain.id}", GC).get_json()["status"] == "active"


def test_a_completed_project_takes_no_new_contracts_r24(world: World, chain: Chain) -> None:
    world.complete_project(chain.id, GC)
    before = world.snapshot()
    refused(world, before, world.award(chain.id, GC, LC, "labour"), 409, "project_completed")
    refused(world, before, world.award(chain.id, SP, LC, "labour", parent_id=chain.sp), 409, "project_completed")
    retry = world.award(chain.id, GC, LA, "labour", "钢筋劳务分包")  # the first award again: as it stands
    assert retry.status_code == 200 and retry.get_json()["status"] == "completed"
    assert world.snapshot() == before


def test_a_completed_subcontract_takes_no_new_contracts_beneath_it_r24(world: World, chain: Chain) -> None:
    world.complete(chain.sp, GC)
    before = world.snapshot()
    response = world.award(chain.id, SP, LC, "labour", parent_id=chain.sp)
    refused(world, before, response, 409, "contract_completed")
    assert world.award(chain.id, GC, LC, "labour").status_code == 201  # the project still takes them


# --- Idempotency-Key (R33) --------------------------------------------------------------------------------------

def test_an_award_retried_with_its_idempotency_key_gets_the_first_answer_r33(world: World) -> None:
    project = world.register()
    headers = {**world.headers(GC, subject="gc-operator"), "Idempotency-Key": "award-la-1"}
    body = award_body(LA, "labour", "钢筋劳务分包")
    first = world.post(f"/projects/{project['id']}/contracts", body, GC, headers=headers)
    again = world.post(f"/projects/{project['id']}/contracts", body, GC, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert world.count(CONTRACTS) == 2
    assert len(world.events("contract.awarded")) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused_r33(world: World) -> None:
    project = world.register()
    headers = {**world.headers(GC, subject="gc-operator"), "Idempotency-Key": "award-1"}
    url = f"/projects/{project['id']}/contracts"
    assert world.post(url, award_body(LA, "labour"), GC, headers=headers).status_code == 201
    before = world.snapshot()
    response = world.post(url, award_body(LC, "labour"), GC, headers=headers)
    refused(world, before, response, 422, "idempotency_key_reused")


@pytest.mark.parametrize("key", ["k" * 300, "with blank", ""], ids=["300-characters", "with-a-blank", "empty"])
def test_an_invalid_idempotency_key_is_a_400_r33(world: World, key: str) -> None:
    project = world.register()
    before = world.snapshot()
    headers = {**world.headers(GC), "Idempotency-Key": key}
    response = world.post(f"/projects/{project['id']}/contracts", award_body(LA, "labour"), GC, headers=headers)
    refused(world, before, response, 400, "idempotency_key_invalid")


# --- concurrency (R20, R33) -------------------------------------------------------------------------------------

def test_eight_concurrent_awards_of_one_link_make_one_contract_r33(world: World) -> None:
    project = world.register()
    headers = world.headers(GC)  # one token, minted before the race
    url = f"{BASE}/projects/{project['id']}/contracts"
    body = award_body(LA, "labour", "钢筋劳务分包")

    def award(_: int) -> tuple[int, str]:
        response = world.app.test_client().post(url, json=body, headers=headers)
        return response.status_code, response.get_json()["id"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(award, range(8)))
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len({contract for _, contract in answers}) == 1
    assert world.count("SELECT count(*) FROM contracts WHERE contractor_id = :la", la=LA) == 1
    assert len(world.events("contract.awarded")) == 1
    assert len(world.audits("contract.awarded")) == 1


def test_concurrent_completions_close_every_contract_once_r24(world: World, chain: Chain) -> None:
    gc, sp = world.headers(GC), world.headers(SP)
    requests = [(f"/contracts/{chain.sp}/completion", gc), (f"/contracts/{chain.lb}/completion", sp),
                (f"/projects/{chain.id}/completion", gc), (f"/contracts/{chain.la}/completion", gc)] * 2

    def send(request: tuple[str, dict[str, str]]) -> int:
        return world.app.test_client().post(f"{BASE}{request[0]}", headers=request[1]).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, requests))
    assert statuses == [200] * 8
    closed = [e["contract_id"] for e in world.events("contract.completed")]
    assert sorted(closed) == sorted([chain.own, chain.la, chain.sp, chain.lb])
    assert len(world.events("project.completed")) == 1


def test_no_contract_stays_active_beneath_one_completed_at_the_same_moment_r24(world: World) -> None:
    gc, sp = world.headers(GC), world.headers(SP)

    def send(request: tuple[str, dict[str, Any] | None, dict[str, str]]) -> int:
        url, body, headers = request
        return world.app.test_client().post(f"{BASE}{url}", json=body, headers=headers).status_code

    for _ in range(6):  # an award beneath a contract, and that contract's completion, at the same moment
        project = world.register()
        parent = world.awarded(project["id"], GC, SP, "specialty", "幕墙专业分包")["id"]
        award = (f"/projects/{project['id']}/contracts", award_body(LC, "labour", parent_id=parent), sp)
        complete = (f"/contracts/{parent}/completion", None, gc)
        with ThreadPoolExecutor(2) as pool:
            awarded, completed = pool.map(send, [award, complete])
        assert awarded in (201, 409) and completed == 200
    assert world.count("SELECT count(*) FROM contracts c JOIN contracts p ON c.parent_id = p.id "
                       "WHERE p.status = 'completed' AND c.status = 'active'") == 0
