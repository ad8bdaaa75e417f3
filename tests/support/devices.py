"""A general contractor's site as the attendance service sees it: a project learned from events, callers of every
kind around it, and the attendance outbox to read what was told (gates, site bridges, their broker accounts)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from realname_attendance.app import create_app
from realname_attendance.projects import project_handlers
from realname_codes.roles import MANAGE_GATES
from realname_kit.bus.envelope import Envelope
from tests.support.stack import Stack
from tests.support.tokens import bearer

API = "/api/v1/attendance"


@dataclass
class Caller:
    client: FlaskClient
    headers: dict[str, str]

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.post(API + url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(API + url, headers=self.headers, **kwargs)

    def delete(self, url: str) -> TestResponse:
        return self.client.delete(API + url, headers=self.headers)


@dataclass
class Site:
    """Project ``project`` of general contractor ``gc`` (a subcontractor ``sub`` takes part), and ``other``: another
    general contractor's project."""

    stack: Stack
    client: FlaskClient
    gc: str = field(default_factory=lambda: str(uuid.uuid4()))
    sub: str = field(default_factory=lambda: str(uuid.uuid4()))
    project: str = field(default_factory=lambda: str(uuid.uuid4()))
    other_gc: str = field(default_factory=lambda: str(uuid.uuid4()))
    other: str = field(default_factory=lambda: str(uuid.uuid4()))

    def learn(self, event_type: str, **data: str) -> None:
        """What assignment's event would tell attendance."""
        with self.stack.db("attendance").transaction() as session:
            project_handlers[event_type](session, Envelope(type=event_type, source="assignment", data=data))

    def caller(self, *roles: str, **claims: Any) -> Caller:
        return Caller(self.client, bearer(self.stack.settings, *roles, **claims))

    @property
    def manager(self) -> Caller:
        """The project's manager (its general contractor's project account), holding manage_gates (R32)."""
        return self.caller("project_manager", "staff", subject=f"pm-{self.project}", enterprise_id=self.gc,
                           projects={self.project: [MANAGE_GATES]})

    @property
    def other_manager(self) -> Caller:
        return self.caller("project_manager", "staff", enterprise_id=self.other_gc,
                           projects={self.other: [MANAGE_GATES]})

    @property
    def regulator(self) -> Caller:
        return self.caller("regulator")

    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self.stack.db("attendance").engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM outbox WHERE type = :t ORDER BY seq"), {"t": event_type})
            return [json.loads(row)["data"] for row in rows.scalars()]

    def audits(self, action: str) -> list[dict[str, Any]]:
        return [a for a in self.events("audit.recorded") if a["action"] == action]

    def bridge(self) -> dict[str, Any]:
        answer = self.manager.post(f"/projects/{self.project}/bridges", json={"name": "1号门网关", "place": "东门"})
        assert answer.status_code == 201, answer.json
        return dict(answer.json or {})

    def gate(self, kind: str = "native", bridge_id: str | None = None, **body: Any) -> dict[str, Any]:
        body = {"kind": kind, "serial": f"SN{uuid.uuid4().hex[:10].upper()}", "direction": "in", "name": "东门进",
                "place": "东门", **({"bridge_id": bridge_id} if bridge_id else {}), **body}
        answer = self.manager.post(f"/projects/{self.project}/gates", json=body)
        assert answer.status_code == 201, answer.json
        return dict(answer.json or {})


def build_site(stack: Stack) -> Site:
    stack.migrate("attendance")
    site = Site(stack, create_app(stack.settings, stack.db("attendance")).test_client())
    for project, gc in ((site.project, site.gc), (site.other, site.other_gc)):
        site.learn("project.registered", project_id=project, general_contractor_id=gc, name="东方明珠二期")
    site.learn("contract.awarded", contract_id=str(uuid.uuid4()), project_id=site.project, contractor_id=site.sub)
    return site
