"""The reporting audit log on SQLite (all-in-one mode): stored once, append-only, paged, filtered, exported."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from realname_kit.audit import AUDIT_EVENT
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Delivery, MessageProcessor
from realname_kit.db import Database
from realname_kit.migrate import upgrade
from realname_kit.settings import Settings
from realname_reporting.app import create_app
from realname_reporting.service import SPEC
from tests.support.tokens import bearer

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def audit_event(action: str = "auth.login.password", *, at: datetime = T0, outcome: str = "success",
                actor: str | None = "user-1", enterprise: str | None = "ent-1", subject: str | None = None,
                reason: str | None = None, source: str = "registry", **extra: Any) -> Envelope:
    data: dict[str, Any] = {
        "action": action, "outcome": outcome,
        "actor": {"subject": actor, "enterprise_id": enterprise, "roles": ["staff"]},
        "subject": subject, "field": extra.pop("field", None), "reason": reason, "details": extra,
        "client_address": "10.1.2.3", "at": at.isoformat(),
    }
    return Envelope(type=AUDIT_EVENT, source=source, data=data, correlation_id="corr-x")


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = Settings.from_env({"REALNAME_DATA_DIR": str(tmp_path)})
        url = self.settings.database_url_for("reporting")
        upgrade(SPEC, url)
        self.db = Database(url)
        self.processor = MessageProcessor("reporting.audit", self.db, SPEC.inbox_table, SPEC.handlers)
        self.app: Flask = create_app(self.settings, self.db)

    def deliver(self, *events: Envelope) -> list[str | None]:
        return [o.dead_reason for o in self.processor.process([Delivery(e.to_json()) for e in events])]

    def token(self, *roles: str, sub: str = "reg-1") -> dict[str, str]:
        return bearer(self.settings, *roles, subject=sub)

    def rows(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def body(reply: Any) -> dict[str, Any]:
    data: dict[str, Any] = reply.get_json()
    return data


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.db.dispose()


@pytest.fixture
def client(world: World) -> FlaskClient:
    return world.app.test_client()


# --- storing --------------------------------------------------------------------------------------------------

def test_a_batch_is_stored_once_even_when_delivered_again(world: World) -> None:
    events = [audit_event(at=T0 + timedelta(seconds=i)) for i in range(3)]
    assert world.deliver(*events) == [None, None, None]
    assert world.deliver(*events) == [None, None, None]
    assert world.rows() == 3


def test_a_malformed_entry_is_dead_lettered_with_its_reason_and_the_rest_is_stored(world: World) -> None:
    good, bad = audit_event(), audit_event("Not An Action")
    reasons = world.deliver(good, bad)
    assert reasons[0] is None
    assert reasons[1] is not None and "PoisonMessage" in reasons[1] and "action" in reasons[1]
    assert world.rows() == 1


def test_the_log_refuses_update_and_delete(world: World) -> None:
    world.deliver(audit_event())
    for statement in ("UPDATE audit_log SET outcome = 'failure'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), world.db.engine.begin() as conn:
            conn.execute(text(statement))
    assert world.rows() == 1


# --- reading --------------------------------------------------------------------------------------------------

def test_pages_run_newest_first_without_gaps_or_repeats_across_equal_times(world: World, client: FlaskClient) -> None:
    events = [audit_event(at=T0 + timedelta(minutes=i // 3), subject=f"w-{i}") for i in range(10)]
    world.deliver(*events)
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        query = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/reporting/audit", query_string=query, headers=world.token("regulator"))
        assert page.status_code == 200, page.json
        assert page.headers["Cache-Control"] == "no-store"
        seen += body(page)["items"]
        cursor = body(page)["next_cursor"]
        if not cursor:
            break
    assert sorted(i["subject"] for i in seen) == sorted(f"w-{i}" for i in range(10))
    times = [datetime.fromisoformat(i["at"]) for i in seen]
    assert times == sorted(times, reverse=True)


def test_filters_narrow_the_log(world: World, client: FlaskClient) -> None:
    world.deliver(
        audit_event("auth.login.password", actor="a"),
        audit_event("auth.login.certificate", actor="b", enterprise="ent-2"),
        audit_event("auth_x.other", actor="c"),        # an underscore must not match the prefix's dot
        audit_event("privacy.reveal", actor="a", subject="w-1", field="id_number", at=T0 + timedelta(hours=1)),
        audit_event("auth.login.password", actor="d", outcome="failure", at=T0 + timedelta(hours=2)),
    )

    def actors(**query: Any) -> list[str]:
        reply = client.get("/api/v1/reporting/audit", query_string=query, headers=world.token("regulator"))
        assert reply.status_code == 200, reply.json
        return sorted(i["actor"]["subject"] for i in body(reply)["items"])

    assert actors(action="auth.") == ["a", "b", "d"]
    assert actors(action="auth_") == []
    assert actors(action="auth.login.certificate") == ["b"]
    assert actors(actor="a") == ["a", "a"]
    assert actors(enterprise_id="ent-2") == ["b"]
    assert actors(subject="w-1") == ["a"]
    assert actors(outcome="failure") == ["d"]
    assert actors(**{"from": (T0 + timedelta(hours=1)).isoformat()}) == ["a", "d"]
    assert actors(to=(T0 + timedelta(hours=1)).isoformat()) == ["a", "b", "c"]
    assert actors(**{"from": "2026-11-01T17:00:00", "to": "2026-11-01T17:00:01"}) == ["a"]  # China time if no offset


@pytest.mark.parametrize("query", [{"outcome": "ok"}, {"action": "DROP TABLE"}, {"from": "yesterday"},
                                   {"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, {"limit": 0}])
def test_bad_filters_are_422(world: World, client: FlaskClient, query: dict[str, Any]) -> None:
    reply = client.get("/api/v1/reporting/audit", query_string=query, headers=world.token("regulator"))
    assert reply.status_code == 422


@pytest.mark.parametrize("cursor", ["e30", "eyJhdCI6IngiLCJzZXEiOjF9", "!!"])
def test_a_foreign_cursor_is_400(world: World, client: FlaskClient, cursor: str) -> None:
    reply = client.get("/api/v1/reporting/audit", query_string={"cursor": cursor}, headers=world.token("regulator"))
    assert reply.status_code == 400
    assert body(reply)["reason"] == "cursor_invalid"


@pytest.mark.parametrize("path", ["/api/v1/reporting/audit", "/api/v1/reporting/audit/export"])
def test_only_regulators_read_the_log(world: World, client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers=world.token("staff", "labour")).status_code == 403
    assert client.get(path, headers=world.token("regulator")).status_code == 200


# --- exporting ------------------------------------------------------------------------------------------------

def test_csv_has_a_bom_chinese_headers_and_formulas_defused(world: World, client: FlaskClient) -> None:
    world.deliver(audit_event("privacy.reveal", subject="w-1", field="phone", reason="=HYPERLINK(\"x\")"),
                  audit_event("entry.confirmed", reason="核对进场", at=T0 + timedelta(minutes=1)))
    reply = client.get("/api/v1/reporting/audit/export", headers=world.token("regulator"))
    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert 'filename="audit-log-' in reply.headers["Content-Disposition"]
    assert reply.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间 (UTC)", "操作", "结果"]
    assert [r[1] for r in rows[1:]] == ["entry.confirmed", "privacy.reveal"]
    assert rows[1][9] == "核对进场"
    assert rows[2][9] == "'=HYPERLINK(\"x\")"


def test_xlsx_holds_text_never_formulas(world: World, client: FlaskClient) -> None:
    world.deliver(audit_event("privacy.reveal", reason="=1+1", subject="工人-1"))
    reply = client.get("/api/v1/reporting/audit/export", query_string={"format": "xlsx"},
                       headers=world.token("regulator"))
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(reply.data), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][7] == "对象"
    assert rows[1][7] == "工人-1"
    assert rows[1][9] == "=1+1"
    assert json.loads(str(rows[1][10])) == {}
    workbook = load_workbook(io.BytesIO(reply.data))
    assert workbook.active is not None
    assert workbook.active.cell(row=2, column=10).data_type == "s"


def test_an_export_beyond_the_row_limit_is_refused_not_cut_short(world: World, client: FlaskClient) -> None:
    world.deliver(*[audit_event(at=T0 + timedelta(seconds=i)) for i in range(4)])
    world.app.config["AUDIT_EXPORT_ROW_LIMIT"] = 3
    reply = client.get("/api/v1/reporting/audit/export", headers=world.token("regulator"))
    assert reply.status_code == 422
    assert body(reply)["reason"] == "export_too_large"
    narrowed = client.get("/api/v1/reporting/audit/export", headers=world.token("regulator"),
                          query_string={"from": (T0 + timedelta(seconds=1)).isoformat()})
    assert narrowed.status_code == 200
    assert len(list(csv.reader(io.StringIO(narrowed.data.decode("utf-8-sig"))))) == 4


def test_an_export_reads_in_chunks(world: World, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("realname_reporting.audit_log.EXPORT_CHUNK", 2)
    world.deliver(*[audit_event(at=T0 + timedelta(seconds=i // 2), subject=f"w-{i}") for i in range(7)])
    reply = client.get("/api/v1/reporting/audit/export", headers=world.token("regulator"))
    rows = list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig"))))[1:]
    assert sorted(r[7] for r in rows) == sorted(f"w-{i}" for i in range(7))
