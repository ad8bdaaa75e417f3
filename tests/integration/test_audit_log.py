"""The audit log end to end: a service records acts in its outbox, the relay and the reporting consumer (real
processes, RabbitMQ, PostgreSQL) carry them to the append-only log that regulators query and export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from kombu import Connection, Producer, Queue
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from realname_kit.audit import AUDIT_EVENT, record_audit
from realname_kit.auth import Caller
from realname_kit.bus.consumer import REASON_HEADER
from realname_kit.bus.envelope import Envelope
from realname_kit.keys import ensure_signing_keys
from realname_registry.models import OUTBOX
from realname_reporting.app import create_app
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer

AUDIT = "/api/v1/reporting/audit"
EXPORT = "/api/v1/reporting/audit/export"
LOG = "SELECT count(*) FROM audit_log"

EMPLOYER = Caller(subject="staff-7", enterprise_id="ent-1", roles=frozenset({"staff", "labour"}))
CONTRACTOR = Caller(subject="gc-1", enterprise_id="ent-9", roles=frozenset({"general_contractor"}))
REGULATOR = Caller(subject="reg-1", roles=frozenset({"regulator"}))

ACTS: list[dict[str, Any]] = [
    {"action": "auth.login.certificate", "actor": CONTRACTOR},
    {"action": "auth.login.password", "actor": None, "subject": "zhang.san", "outcome": "failure",
     "details": {"why": "wrong_password"}, "client_address": "203.0.113.9"},
    {"action": "auth.login.password", "actor": EMPLOYER, "client_address": "203.0.113.10"},
    {"action": "privacy.reveal", "actor": EMPLOYER, "subject": "worker-1", "field": "id_number",
     "reason": "核对劳动合同"},
    {"action": "entry.confirmed", "actor": CONTRACTOR, "subject": "worker-1", "details": {"project_id": "p-1"}},
    {"action": "entry.rejected", "actor": CONTRACTOR, "subject": "worker-2", "reason": "证件不符"},
    {"action": "worker.resigned", "actor": EMPLOYER, "subject": "worker-3"},
    {"action": "account.created", "actor": EMPLOYER, "subject": "account-5", "details": {"roles": ["staff"]}},
    {"action": "delegation.granted", "actor": EMPLOYER, "subject": "account-5",
     "details": {"project_id": "p-1", "function": "confirm_entry"}},
    {"action": "privacy.reveal", "actor": REGULATOR, "subject": "worker-2", "field": "bank_card",
     "reason": "=cmd|' /C calc'!A0"},
]


def token(stack: Stack, *roles: str, sub: str = "reg-1") -> dict[str, str]:
    """A bearer token signed with the stack's development key (what the gateway would issue)."""
    return bearer(stack.settings, *roles, subject=sub)


def body(reply: Any) -> dict[str, Any]:
    data: dict[str, Any] = reply.get_json()
    return data


Running = tuple[Stack, list[Envelope], FlaskClient]


def start(stack: Stack) -> Running:
    """The acts recorded in the registry's outbox, relayed and consumed into reporting's audit log."""
    ensure_signing_keys(stack.data_dir / "keys" / "token-signing.pem", stack.settings.auth_public_key_file)
    stack.migrate("registry", "reporting")
    stack.declare()
    sent = []
    for act in ACTS:
        with stack.db("registry").transaction() as session:  # in the act's own transaction
            sent.append(record_audit(session, OUTBOX, **act))
    stack.spawn("relay", "registry")
    stack.spawn("consumer", "reporting")
    eventually(lambda: stack.count("reporting", LOG) == len(ACTS), timeout=20)
    client = create_app(stack.settings, stack.db("reporting")).test_client()
    return stack, sent, client


@pytest.fixture(scope="module")
def running(module_stack: Stack) -> Running:
    """One stack for the tests that only read (setting one up takes seconds)."""
    return start(module_stack)


def test_recorded_acts_reach_the_log_once_with_their_fields(running: Running) -> None:
    stack, sent, client = running
    reply = client.get(AUDIT, query_string={"limit": 100}, headers=token(stack, "regulator"))
    assert reply.status_code == 200, body(reply)
    items = body(reply)["items"]
    assert [i["id"] for i in items] == [e.id for e in reversed(sent)]  # newest first
    reveal = next(i for i in items if i["id"] == sent[3].id)
    assert reveal == {
        "id": sent[3].id, "at": reveal["at"], "action": "privacy.reveal", "outcome": "success",
        "actor": {"subject": "staff-7", "enterprise_id": "ent-1", "roles": ["labour", "staff"], "kind": None},
        "subject": "worker-1", "field": "id_number", "reason": "核对劳动合同", "details": {},
        "client_address": None, "source": "registry", "correlation_id": sent[3].correlation_id,
    }
    assert datetime.fromisoformat(reveal["at"]) == datetime.fromisoformat(sent[3].data["at"])
    failed = next(i for i in items if i["outcome"] == "failure")
    assert failed["actor"] == {"subject": None, "enterprise_id": None, "roles": [], "kind": None}
    assert failed["subject"] == "zhang.san"
    assert stack.count("registry", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


def test_filters_and_pages(running: Running) -> None:
    stack, sent, client = running
    regulator = token(stack, "regulator")

    def ids(**query: Any) -> list[str]:
        reply = client.get(AUDIT, query_string={"limit": 100, **query}, headers=regulator)
        assert reply.status_code == 200, body(reply)
        return [i["id"] for i in body(reply)["items"]]

    def sent_ids(*indexes: int) -> list[str]:
        return [sent[i].id for i in sorted(indexes, reverse=True)]

    assert ids(action="auth.") == sent_ids(0, 1, 2)
    assert ids(action="privacy.reveal") == sent_ids(3, 9)
    assert ids(actor="gc-1") == sent_ids(0, 4, 5)
    assert ids(enterprise_id="ent-1") == sent_ids(2, 3, 6, 7, 8)
    assert ids(subject="worker-1") == sent_ids(3, 4)
    assert ids(outcome="failure") == sent_ids(1)
    assert ids(action="auth.", outcome="success") == sent_ids(0, 2)
    assert ids(**{"from": sent[4].data["at"], "to": sent[7].data["at"]}) == sent_ids(4, 5, 6)

    pages, cursor = [], None
    while True:
        reply = client.get(AUDIT, query_string={"limit": 3, **({"cursor": cursor} if cursor else {})},
                           headers=regulator)
        pages.append([i["id"] for i in body(reply)["items"]])
        cursor = body(reply)["next_cursor"]
        if not cursor:
            break
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [i for p in pages for i in p] == sent_ids(*range(len(ACTS)))


def test_exports_as_csv_and_xlsx(running: Running) -> None:
    stack, sent, client = running
    regulator = token(stack, "regulator")

    reply = client.get(EXPORT, query_string={"format": "csv", "action": "privacy.reveal"}, headers=regulator)
    assert reply.status_code == 200
    assert reply.content_type.startswith("text/csv")
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert reply.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig"))))
    header, data = rows[0], rows[1:]
    assert header[:4] == ["时间 (UTC)", "操作", "结果", "操作人"]
    column = {name: i for i, name in enumerate(header)}
    assert [r[column["记录ID"]] for r in data] == [sent[9].id, sent[3].id]
    assert data[1][column["事由"]] == "核对劳动合同"
    assert data[1][column["字段"]] == "id_number"
    assert data[0][column["事由"]] == "'=cmd|' /C calc'!A0"  # a formula stays text

    reply = client.get(EXPORT, query_string={"format": "xlsx"}, headers=regulator)
    assert reply.status_code == 200
    assert reply.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert reply.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(reply.data), read_only=True).active
    assert sheet is not None
    rows_x = list(sheet.iter_rows(values_only=True))
    assert rows_x[0] == tuple(header)
    assert [r[column["记录ID"]] for r in rows_x[1:]] == [e.id for e in reversed(sent)]
    assert rows_x[1][column["事由"]] == "=cmd|' /C calc'!A0"


def test_only_regulators_may_read_or_export(running: Running) -> None:
    stack, _, client = running
    for path in (AUDIT, EXPORT):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=token(stack, "staff", "labour", sub="staff-7")).status_code == 403
        assert client.get(path, headers=token(stack, "general_contractor", sub="gc-1")).status_code == 403


def test_the_log_is_append_only_on_postgresql(running: Running) -> None:
    stack, sent, _ = running
    for statement in ("UPDATE audit_log SET outcome = 'failure'", "DELETE FROM audit_log",
                      "DELETE FROM audit_log WHERE false", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), stack.db("reporting").engine.begin() as conn:
            conn.execute(text(statement))
    with pytest.raises(IntegrityError), stack.db("reporting").engine.begin() as conn:  # one row per event id
        conn.execute(text("INSERT INTO audit_log (id, at, action, outcome, actor_roles, details, source, "
                          "received_at) SELECT id, at, action, outcome, actor_roles, details, source, received_at "
                          "FROM audit_log WHERE id = :id"), {"id": sent[0].id})
    assert stack.count("reporting", LOG) == len(ACTS)
    assert stack.count("reporting", "SELECT count(*) FROM audit_log WHERE outcome = 'failure'") == 1


def test_a_redelivered_entry_adds_nothing_and_a_malformed_one_is_dead_lettered(stack: Stack) -> None:
    stack, sent, _ = start(stack)
    queue = stack.queue_name("reporting", "audit")
    malformed = Envelope(type=AUDIT_EVENT, source="registry", data={**sent[0].data, "action": "Login!"})
    with stack.db("registry").transaction() as session:
        late = record_audit(session, OUTBOX, action="delegation.revoked", actor=EMPLOYER, subject="account-5")
    with Connection(stack.amqp) as conn:
        producer = Producer(conn.default_channel, exchange=stack.topology.exchange("registry"))
        for envelope in (sent[3], sent[4], malformed):
            producer.publish(envelope.to_json(), routing_key=AUDIT_EVENT, content_type="application/json",
                             content_encoding="utf-8", message_id=envelope.id)
    eventually(lambda: stack.queue_depth(f"{queue}.dead") == 1, timeout=20)
    eventually(lambda: stack.count("reporting", "SELECT count(*) FROM audit_log WHERE id = :i", i=late.id) == 1)
    eventually(lambda: stack.queue_depth(queue) == 0)
    assert stack.count("reporting", LOG) == len(ACTS) + 1
    assert stack.count("reporting", "SELECT count(*) FROM inbox") == len(ACTS) + 1
    with Connection(stack.amqp) as conn:
        dead = Queue(f"{queue}.dead", no_declare=True)(conn.default_channel).get(no_ack=False)
        assert "PoisonMessage" in dead.headers[REASON_HEADER] and "action" in dead.headers[REASON_HEADER]
        dead.ack()
