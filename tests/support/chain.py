"""A project with its contract chain, on the assignment service's HTTP API over real PostgreSQL.

The chain: the general contractor GC awarded a labour subcontract to LA and a specialty subcontract to SP; SP
awarded a labour subcontract to LB. LX is a labour company outside the chain. Workers and teams are taught to
the service through its own handlers, with the registry's events as the registry sends them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from realname_assignment.app import create_app
from realname_assignment.models import Party
from realname_assignment.parties import UNIT_TYPES
from realname_assignment.workers import worker_handlers
from realname_kit.bus.envelope import Envelope
from realname_kit.timeutil import utcnow
from tests.support.credit_codes import uscc_for
from tests.support.stack import Stack
from tests.support.tokens import bearer

API = "/api/v1/assignment"
GC, SP, LA, LB, LX = "e-gc", "e-sp", "e-la", "e-lb", "e-lx"
KINDS = {GC: "general_contractor", SP: "specialty", LA: "labour", LB: "labour", LX: "labour"}


def uscc_of(enterprise_id: str) -> str:
    return uscc_for(enterprise_id)


@dataclass
class Chain:
    stack: Stack
    client: FlaskClient
    project_id: str = ""
    contracts: dict[str, str] = field(default_factory=dict)  # own, la, sp, lb -> contract id

    def call(self, method: str, path: str, role: str, enterprise_id: str | None = None, *,
             headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        auth = bearer(self.stack.settings, role, enterprise_id=enterprise_id, subject=f"op-{enterprise_id or role}",
                      kind=kwargs.pop("kind", None), projects=kwargs.pop("projects", None))
        return self.client.open(f"{API}{path}", method=method, headers={**auth, **(headers or {})}, **kwargs)

    def as_party(self, method: str, path: str, enterprise_id: str, **kwargs: Any) -> TestResponse:
        return self.call(method, path, KINDS[enterprise_id], enterprise_id, **kwargs)

    def handle(self, event_type: str, data: dict[str, Any]) -> None:
        """Handle a registry event as the consumer would (its effects in one transaction)."""
        with self.stack.db("assignment").transaction() as session:
            worker_handlers[event_type](session, Envelope(type=event_type, source="registry", data=data))

    def worker(self, employer_id: str, name: str = "张三", *, team_id: str | None = None,
               identity_status: str = "verified") -> str:
        worker_id = str(uuid.uuid4())
        self.handle("worker.registered", {
            "worker_id": worker_id, "employment_id": str(uuid.uuid4()), "employer_id": employer_id, "name": name,
            "identity_status": identity_status, "category": "construction", "trade_code": "020",
            "team_id": team_id, "registered_at": utcnow().isoformat()})
        return worker_id

    def team(self, employer_id: str, name: str = "钢筋一班") -> str:
        team_id = str(uuid.uuid4())
        self.handle("team.formed", {"team_id": team_id, "employer_id": employer_id, "project_id": self.project_id,
                                    "name": name, "leader_id": None})
        return team_id

    def assign(self, employer_id: str, contract: str, worker_ids: list[str] | None = None, *,
               headers: dict[str, str] | None = None, **body: Any) -> TestResponse:
        payload = {"contract_id": self.contracts.get(contract, contract), **body}
        if worker_ids is not None:
            payload["worker_ids"] = worker_ids
        return self.as_party("POST", "/assignments", employer_id, json=payload, headers=headers)

    def decide(self, enterprise_id: str, *decisions: tuple[str, str], **kwargs: Any) -> TestResponse:
        items = [{"assignment_id": a, "decision": d, **({"reason": "证件不全"} if d == "reject" else {})}
                 for a, d in decisions]
        return self.as_party("POST", "/decisions", enterprise_id, json={"items": items}, **kwargs)

    def count(self, sql: str, **params: Any) -> int:
        return self.stack.count("assignment", sql, **params)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self.stack.db("assignment").engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM outbox WHERE type = :t ORDER BY seq"), {"t": event_type})
            return [json.loads(row)["data"] for row in rows.scalars()]


def build_chain(stack: Stack) -> Chain:
    stack.migrate("assignment")
    with stack.db("assignment").transaction() as session:
        for enterprise, kind in KINDS.items():
            session.add(Party(enterprise_id=enterprise, name=f"{enterprise}公司", uscc=uscc_of(enterprise), kind=kind,
                              unit_type=UNIT_TYPES[kind], registered_at=utcnow()))
    chain = Chain(stack, create_app(stack.settings, stack.db("assignment")).test_client())
    made = chain.as_party("POST", "/projects", GC, json={
        "name": "滨江住宅", "registration_number": f"BJ-{uuid.uuid4().hex[:10]}", "address": "上海市徐汇区龙腾大道1号",
        "planned_start": "2026-01-01", "planned_completion": "2028-06-30"})
    assert made.status_code == 201, made.get_json()
    chain.project_id = made.get_json()["id"]
    own = chain.as_party("GET", f"/contracts?mine=held&project_id={chain.project_id}", GC).get_json()["items"]
    chain.contracts["own"] = own[0]["id"]
    for key, awarder, contractor, kind, parent in (("la", GC, LA, "labour", None), ("sp", GC, SP, "specialty", None),
                                                    ("lb", SP, LB, "labour", "sp")):
        body = {"contractor_uscc": uscc_of(contractor), "kind": kind, "name": f"{key}合同"}
        if parent:
            body["parent_id"] = chain.contracts[parent]
        awarded = chain.as_party("POST", f"/projects/{chain.project_id}/contracts", awarder, json=body)
        assert awarded.status_code == 201, awarded.get_json()
        chain.contracts[key] = awarded.get_json()["id"]
    return chain
