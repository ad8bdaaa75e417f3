"""The attendance service's HTTP API over real PostgreSQL, with the projects, workers and admissions it would have
learned from events written straight into its tables (the handlers that learn them are tested on their own)."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from realname_attendance.app import create_app
from realname_attendance.models import Admission, Project
from realname_attendance.workers import worker_handlers
from realname_kit.bus.envelope import Envelope
from realname_kit.timeutil import utcnow
from tests.support.stack import Stack
from tests.support.tokens import bearer

API = "/api/v1/attendance"
GC, LA, LB = "e-gc", "e-la", "e-lb"
KINDS = {GC: "general_contractor", LA: "labour", LB: "labour"}


@dataclass
class Site:
    stack: Stack
    client: FlaskClient
    project_id: str = ""

    def call(self, method: str, path: str, role: str, enterprise_id: str | None = None, *,
             projects: dict[str, list[str]] | None = None, subject: str | None = None, **kwargs: Any) -> TestResponse:
        auth = bearer(self.stack.settings, role, enterprise_id=enterprise_id,
                      subject=subject or f"op-{enterprise_id or role}", projects=projects)
        return self.client.open(f"{API}{path}", method=method, headers=auth, **kwargs)

    def as_party(self, method: str, path: str, enterprise_id: str, **kwargs: Any) -> TestResponse:
        return self.call(method, path, KINDS[enterprise_id], enterprise_id, **kwargs)

    def handle(self, event_type: str, data: dict[str, Any]) -> None:
        """A registry event handled as the consumer would (its effects in one transaction)."""
        with self.stack.db("attendance").transaction() as session:
            worker_handlers[event_type](session, Envelope(type=event_type, source="registry", data=data))

    def worker(self, employer_id: str, name: str = "张三") -> str:
        worker_id = str(uuid.uuid4())
        self.handle("worker.registered", {
            "worker_id": worker_id, "employment_id": str(uuid.uuid4()), "employer_id": employer_id, "name": name,
            "contract_start": "2026-01-01", "contract_end": "2030-12-31", "registered_at": utcnow().isoformat()})
        return worker_id

    def admit(self, worker_id: str, employer_id: str, status: str = "accepted") -> str:
        assignment_id = str(uuid.uuid4())
        with self.stack.db("attendance").transaction() as session:
            session.add(Admission(assignment_id=assignment_id, project_id=self.project_id, worker_id=worker_id,
                                  employer_id=employer_id, status=status, entry_at=utcnow()))
        return assignment_id

    def consent(self, worker_id: str, enterprise_id: str = LA) -> TestResponse:
        return self.as_party("PUT", f"/workers/{worker_id}/face-consent", enterprise_id,
                             json={"method": "signed_form", "given_on": utcnow().date().isoformat()})

    def upload(self, worker_id: str, photo: bytes, enterprise_id: str = LA, **kwargs: Any) -> TestResponse:
        return self.as_party("PUT", f"/workers/{worker_id}/face", enterprise_id,
                             data={"photo": (io.BytesIO(photo), "face.jpg")}, content_type="multipart/form-data",
                             **kwargs)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self.stack.db("attendance").engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM outbox WHERE type = :t ORDER BY seq"), {"t": event_type})
            return [json.loads(row)["data"] for row in rows.scalars()]

    def count(self, sql: str, **params: Any) -> int:
        return self.stack.count("attendance", sql, **params)


def build_site(stack: Stack) -> Site:
    stack.migrate("attendance")
    project_id = str(uuid.uuid4())
    with stack.db("attendance").transaction() as session:
        session.add(Project(id=project_id, general_contractor_id=GC, name="滨江住宅"))
    return Site(stack, create_app(stack.settings, stack.db("attendance")).test_client(), project_id)
