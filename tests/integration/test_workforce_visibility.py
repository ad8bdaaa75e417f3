"""The workforce query (用工查询) and who sees which workers of a project (R21, R22), on PostgreSQL.

The chain of project P: the general contractor GC awarded a labour subcontract to LA and a specialty subcontract
to SP; SP awarded a labour subcontract, without a name, to LB. LX is a labour company outside the chain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from realname_assignment.app import create_app
from realname_assignment.models import Assignment, Contract, KnownWorker, Party, Project
from realname_assignment.parties import UNIT_TYPES
from realname_codes.roles import VIEW_WORKFORCE
from realname_kit.timeutil import utcnow
from tests.support.cards import json_of
from tests.support.stack import Stack
from tests.support.tokens import bearer

GC, SP, LA, LB, LX = "e-gc", "e-sp", "e-la", "e-lb", "e-lx"
KINDS = {GC: "general_contractor", SP: "specialty", LA: "labour", LB: "labour", LX: "labour"}


@dataclass
class Chain:
    stack: Stack
    client: FlaskClient
    project_id: str
    workers: dict[str, str]  # name -> worker id

    def names(self, role: str, enterprise_id: str | None = None, **query: Any) -> list[str]:
        response = self.ask(role, enterprise_id, **query)
        assert response.status_code == 200, json_of(response)
        return sorted(item["name"] for item in json_of(response)["items"])

    def ask(self, role: str, enterprise_id: str | None = None, *, kind: str | None = None,
            projects: dict[str, list[str]] | None = None, **query: Any) -> Any:
        headers = bearer(self.stack.settings, role, enterprise_id=enterprise_id, kind=kind, projects=projects)
        return self.client.get(f"/api/v1/assignment/projects/{self.project_id}/workforce", headers=headers,
                               query_string=query)


@pytest.fixture
def chain(stack: Stack) -> Chain:
    stack.migrate("assignment")
    project_id = str(uuid.uuid4())
    workers: dict[str, str] = {}
    with stack.db("assignment").transaction() as session:
        for enterprise, kind in KINDS.items():
            session.add(Party(enterprise_id=enterprise, name=f"{enterprise}公司", uscc=f"USCC-{enterprise}", kind=kind,
                              unit_type=UNIT_TYPES[kind], registered_at=utcnow()))
        session.flush()
        session.add(Project(id=project_id, name="滨江住宅", registration_number=f"BJ-{project_id[:8]}",
                            address="上海市徐汇区龙腾大道1号", planned_start=date(2026, 1, 1),
                            planned_completion=date(2028, 6, 30), general_contractor_id=GC))
        session.flush()
        contracts = {"la": Contract(project_id=project_id, tier=1, kind="labour", awarded_by=GC, contractor_id=LA,
                                    name="钢筋劳务分包"),
                     "sp": Contract(project_id=project_id, tier=1, kind="specialty", awarded_by=GC, contractor_id=SP,
                                    name="幕墙专业分包")}
        session.add_all(contracts.values())
        session.flush()
        contracts["lb"] = Contract(project_id=project_id, tier=2, kind="labour", awarded_by=SP, contractor_id=LB,
                                   parent_id=contracts["sp"].id, name=None)
        session.add(contracts["lb"])
        session.flush()
        for name, employer, contract, status in (("张一", LA, "la", "accepted"), ("张二", LA, "la", "requested"),
                                                 ("李一", LB, "lb", "accepted"), ("李二", LB, "lb", "requested"),
                                                 ("李三", LB, "lb", "exited")):
            worker_id = str(uuid.uuid4())
            workers[name] = worker_id
            session.add(KnownWorker(worker_id=worker_id, employer_id=employer, name=name, trade_code="010",
                                    category="construction", identity_status="verified", employment_status="active"))
            session.flush()
            session.add(Assignment(project_id=project_id, contract_id=contracts[contract].id, worker_id=worker_id,
                                   employer_id=employer, status=status, requested_by="test",
                                   entry_at=utcnow() if status != "requested" else None))
    return Chain(stack, create_app(stack.settings, stack.db("assignment")).test_client(), project_id, workers)


def test_the_general_contractor_sees_its_first_tier_labour_subcontractors_workers(chain: Chain) -> None:
    assert {"张一", "张二"} <= set(chain.names("general_contractor", GC))


def test_the_general_contractor_sees_second_tier_workers_once_the_specialty_subcontractor_accepted_them(
        chain: Chain) -> None:
    assert chain.names("general_contractor", GC) == ["张一", "张二", "李一"]  # 李二 waits for SP's decision
    assert chain.names("general_contractor", GC, status="exited") == ["李三"]


def test_a_specialty_subcontractor_sees_its_own_chain_and_no_one_elses(chain: Chain) -> None:
    assert chain.names("specialty", SP) == ["李一", "李二"]


def test_a_labour_company_sees_only_its_own_workers(chain: Chain) -> None:
    assert chain.names("labour", LA) == ["张一", "张二"]
    assert chain.names("labour", LB) == ["李一", "李二"]


def test_a_regulator_sees_every_worker_of_the_project(chain: Chain) -> None:
    assert chain.names("regulator") == ["张一", "张二", "李一", "李二"]


def test_an_enterprise_outside_the_chain_is_told_the_project_does_not_exist(chain: Chain) -> None:
    response = chain.ask("labour", LX)
    assert response.status_code == 404 and json_of(response)["reason"] == "project_not_found"


def test_staff_see_the_workforce_only_with_the_delegated_view_workforce_function_r32(chain: Chain) -> None:
    assert chain.ask("staff", GC, kind="staff").status_code == 404
    delegated = chain.names("staff", GC, kind="staff", projects={chain.project_id: [VIEW_WORKFORCE]})
    assert delegated == chain.names("general_contractor", GC)


def test_each_row_shows_employer_contract_entry_time_and_an_unnamed_contract_marked_r22(chain: Chain) -> None:
    rows = {r["name"]: r for r in json_of(chain.ask("regulator"))["items"]}
    assert rows["张一"]["contract"] == {"id": rows["张一"]["contract"]["id"], "tier": 1, "kind": "labour",
                                       "display_name": "钢筋劳务分包", "name_missing": False}
    assert rows["李一"]["contract"]["display_name"] == "滨江住宅（未填写合同名称）"
    assert rows["李一"]["contract"]["name_missing"] is True
    assert rows["李一"]["employer"] == {"enterprise_id": LB, "name": "e-lb公司"}
    assert rows["张一"]["entry_at"] and rows["张二"]["entry_at"] is None


def test_filters_and_a_name_search_narrow_the_workforce_and_pages_follow_the_cursor(chain: Chain) -> None:
    assert chain.names("regulator", name="李") == ["李一", "李二"]
    assert chain.names("regulator", employer_id=LA, status="accepted") == ["张一"]
    first = json_of(chain.ask("regulator", limit=3))
    second = json_of(chain.ask("regulator", limit=3, cursor=first["next_cursor"]))
    assert len(first["items"]) == 3 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert chain.ask("regulator", status="gone").status_code == 422
