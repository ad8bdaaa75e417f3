"""The registry on the real database of a ``Stack``: its HTTP app, employers to call it, its events, its handlers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import text

from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.settings import Settings
from realname_registry.app import create_app
from tests.support.identity_events import deliver
from tests.support.stack import Stack
from tests.support.tokens import bearer
from tests.support.workers import Client, worker_body

WORKERS = "/api/v1/registry/workers"


@dataclass
class Registry:
    settings: Settings
    db: Database
    app: Flask

    @classmethod
    def on(cls, stack: Stack) -> Registry:
        stack.migrate("registry")
        db = stack.db("registry")
        return cls(stack.settings, db, create_app(stack.settings, db))

    def employer(self) -> tuple[Client, str]:
        """A labour company of its own: its client, and its enterprise id."""
        enterprise_id = str(uuid.uuid4())
        headers = bearer(self.settings, "labour", enterprise_id=enterprise_id)
        return Client(self.app.test_client(), headers), enterprise_id

    def regulator(self) -> Client:
        return Client(self.app.test_client(), bearer(self.settings, "regulator"))

    def deliver(self, event_type: str, data: dict[str, Any]) -> None:
        deliver(self.settings, self.db, event_type, data)

    def events(self, event_type: str, worker_id: str) -> list[dict[str, Any]]:
        """The ``data`` of the events of this type in the outbox about this worker, oldest first."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM outbox WHERE type = :t ORDER BY seq"), {"t": event_type})
            found = [json.loads(r.payload)["data"] for r in rows]
        return [d for d in found if worker_id in (d.get("worker_id"), d.get("subject"))]


def employer_caller(enterprise_id: str) -> Caller:
    """The labour company as the use cases see it behind its HTTP endpoints."""
    return Caller(subject=f"clerk-{enterprise_id[:8]}", enterprise_id=enterprise_id, roles=frozenset({"labour"}),
                  kind="enterprise")


def typed_in(employer: Client, number: str, name: str = "马超") -> dict[str, Any]:
    """A worker registered by hand (the authority closed, say): ``unverified`` until a read of theirs is."""
    response = employer.post(WORKERS, json=worker_body(None, number=number, name=name, birth=date(1985, 3, 15),
                                                       trade_code="900"))
    assert response.status_code == 201, response.get_json()
    worker: dict[str, Any] = response.get_json()
    assert worker["identity_status"] == "unverified"
    return worker


def history(client: Client, worker_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"{WORKERS}/{worker_id}/history").get_json()["items"]
    return items
