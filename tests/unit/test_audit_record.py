"""record_audit: one outbox row in the act's own transaction, in the agreed shape, with no secrets in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import MetaData, select

from realname_kit.audit import (
    AUDIT_EVENT,
    KNOWN_ACTIONS,
    InvalidAudit,
    mask_personal_numbers,
    parse_audit,
    record_audit,
)
from realname_kit.auth import Caller
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.outbox import Outbox
from realname_kit.bus.tables import messaging_tables
from realname_kit.db import Database
from realname_kit.hardening import trust_proxies
from realname_kit.logs import correlated

REGULATOR = Caller(subject="reg-1", enterprise_id=None, roles=frozenset({"regulator"}))
EMPLOYER = Caller(subject="staff-7", enterprise_id="ent-1", roles=frozenset({"staff", "labour"}))
ID_NUMBER = "11010519491231002X"   # the GB 11643 standard's own example
CARD_NUMBER = "6222020200112233446"  # passes the Luhn check


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Database, Outbox]]:
    metadata = MetaData()
    outbox, _ = messaging_tables(metadata)
    db = Database(f"sqlite:///{tmp_path / 'probe.db'}")
    metadata.create_all(db.engine)
    try:
        yield db, Outbox(outbox, "registry")
    finally:
        db.dispose()


def outbox_rows(db: Database, outbox: Outbox) -> list[Any]:
    with db.transaction() as session:
        return list(session.execute(select(outbox.table)))


def test_an_audited_act_is_one_outbox_row_with_the_whole_record(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    with correlated("corr-1"), db.transaction() as session:
        sent = record_audit(session, outbox, action="privacy.reveal", actor=EMPLOYER, subject="worker-42",
                            field="id_number", reason="核对身份 for the labour contract",
                            details={"project_id": "p-1"}, client_address="10.0.0.7")
    [row] = outbox_rows(db, outbox)
    assert (row.id, row.type, row.version, row.source, row.correlation_id) == (
        sent.id, AUDIT_EVENT, 1, "registry", "corr-1")
    envelope = Envelope.from_json(row.payload)
    assert envelope == sent
    data = envelope.data
    assert {k: v for k, v in data.items() if k != "at"} == {
        "action": "privacy.reveal", "outcome": "success",
        "actor": {"subject": "staff-7", "enterprise_id": "ent-1", "roles": ["labour", "staff"]},
        "subject": "worker-42", "field": "id_number", "reason": "核对身份 for the labour contract",
        "details": {"project_id": "p-1"}, "client_address": "10.0.0.7",
    }
    assert datetime.fromisoformat(data["at"]).tzinfo is not None
    assert parse_audit(data).actor_roles == ("labour", "staff")


def test_an_act_in_a_request_records_the_client_address_by_default(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    app = Flask("probe")
    trust_proxies(app, 1, behind_gateway=True)  # a service: the gateway forwarded the client's address

    @app.get("/reveal")
    def reveal() -> dict[str, str | None]:
        with db.transaction() as session:
            sent = record_audit(session, outbox, action="privacy.reveal", actor=EMPLOYER, subject="worker-42",
                                field="id_number", reason="核对")
        return {"client_address": sent.data["client_address"]}

    answer = app.test_client().get("/reveal", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5, 10.0.0.7"},
                                   environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert answer.get_json() == {"client_address": "203.0.113.5"}


def test_nothing_is_recorded_when_the_act_rolls_back(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    with pytest.raises(RuntimeError), db.transaction() as session:
        record_audit(session, outbox, action="worker.resigned", actor=EMPLOYER, subject="worker-1")
        raise RuntimeError("the act failed")
    assert outbox_rows(db, outbox) == []


def test_a_failed_anonymous_login_has_an_empty_actor(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    with db.transaction() as session:
        sent = record_audit(session, outbox, action="auth.login.password", actor=None, subject="zhang.san",
                            outcome="failure", details={"why": "wrong_password"})
    assert sent.data["actor"] == {"subject": None, "enterprise_id": None, "roles": []}
    assert sent.data["outcome"] == "failure"


def test_the_actor_kind_is_recorded_when_the_caller_has_one(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    caller = Caller(subject="reg-1", roles=frozenset({"regulator"}), kind="regulator")
    with db.transaction() as session:
        sent = record_audit(session, outbox, action="privacy.reveal", actor=caller, subject="w", field="phone")
    assert sent.data["actor"] == {"subject": "reg-1", "enterprise_id": None, "roles": ["regulator"],
                                  "kind": "regulator"}


@pytest.mark.parametrize("action", KNOWN_ACTIONS)
def test_every_known_action_is_accepted(world: tuple[Database, Outbox], action: str) -> None:
    db, outbox = world
    with db.transaction() as session:
        record_audit(session, outbox, action=action, actor=REGULATOR)
    assert len(outbox_rows(db, outbox)) == 1


@pytest.mark.parametrize("action", ["", "login", "Auth.login", "auth..login", "auth.login.", ".auth",
                                    "auth login", "auth.登录", "auth.login;drop", "a." + "b" * 100, 7, None])
def test_a_malformed_action_is_refused_and_nothing_is_written(world: tuple[Database, Outbox],
                                                               action: Any) -> None:
    db, outbox = world
    with pytest.raises(ValueError, match="action"), db.transaction() as session:
        record_audit(session, outbox, action=action, actor=REGULATOR)
    assert outbox_rows(db, outbox) == []


@pytest.mark.parametrize("outcome", ["ok", "SUCCESS", "", None])
def test_an_unknown_outcome_is_refused(world: tuple[Database, Outbox], outcome: Any) -> None:
    db, outbox = world
    with pytest.raises(InvalidAudit, match="outcome"), db.transaction() as session:
        record_audit(session, outbox, action="auth.login.password", actor=REGULATOR, outcome=outcome)


@pytest.mark.parametrize("details", [
    {"password": "hunter2"}, {"new_Password": "x"}, {"access_token": "eyJ..."}, {"refreshToken": "r"},
    {"client_secret": "s"}, {"private-key": "k"}, {"nested": {"list": [{"token": "t"}]}}, {"Authorization": "B"},
])
def test_secrets_are_refused_in_details(world: tuple[Database, Outbox], details: dict[str, Any]) -> None:
    db, outbox = world
    with pytest.raises(InvalidAudit, match="secrets"), db.transaction() as session:
        record_audit(session, outbox, action="account.created", actor=REGULATOR, details=details)


def test_details_must_be_json(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    with pytest.raises(InvalidAudit, match="JSON"), db.transaction() as session:
        record_audit(session, outbox, action="account.created", actor=REGULATOR, details={"when": datetime.now()})


def test_over_long_fields_are_refused(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    with pytest.raises(InvalidAudit, match="reason"), db.transaction() as session:
        record_audit(session, outbox, action="privacy.reveal", actor=REGULATOR, reason="x" * 2001)


def test_full_personal_numbers_are_masked_wherever_free_text_goes(world: tuple[Database, Outbox]) -> None:
    db, outbox = world
    with db.transaction() as session:
        sent = record_audit(session, outbox, action="privacy.reveal", actor=REGULATOR,
                            subject=f"worker {ID_NUMBER}", field="id_number",
                            reason=f"查 {ID_NUMBER} 和卡 {CARD_NUMBER}", details={"note": [CARD_NUMBER]})
    text = json.dumps(sent.data, ensure_ascii=False)
    assert ID_NUMBER not in text and CARD_NUMBER not in text
    assert sent.data["reason"] == "查 110105********002X 和卡 622202*********3446"
    assert sent.data["subject"] == "worker 110105********002X"


@pytest.mark.parametrize("text", [
    "2026-11-25T08:00:00+00:00", "uuid 2f1c0a8e-1b2c-4d5e-9f00-123456789abc", "USCC 91350100M000100Y43",
    "worker 2f1c0a8e-1b2c-4d5e-9f00-123456789012", "row 42 of 1200",
])
def test_masking_leaves_other_text_alone(text: str) -> None:
    assert mask_personal_numbers(text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("110105194912310021", "**************0021"),  # an ID number's shape with a wrong check character: a typo
    ("6222020200112233445", "***************3445"),  # a card number's shape failing Luhn: a typo
    ("phone 13800138000", "phone *******8000"),
    ("phone +86 138 0013 8000", "phone *********8000"),
])
def test_what_could_still_be_a_personal_number_keeps_its_last_four_only(text: str, masked: str) -> None:
    assert mask_personal_numbers(text) == masked


@pytest.mark.parametrize("broken", [
    {},
    {"action": "auth.login.password", "outcome": "success", "actor": "reg-1", "at": "2026-01-01T00:00:00+00:00"},
    {"action": "auth.login.password", "outcome": "success", "actor": {"roles": "regulator"},
     "at": "2026-01-01T00:00:00+00:00"},
    {"action": "auth.login.password", "outcome": "success", "actor": {"roles": []}, "at": "2026-01-01T00:00:00"},
    {"action": "auth.login.password", "outcome": "success", "actor": {"roles": []}, "at": "yesterday"},
    {"action": "auth.login.password", "outcome": "success", "actor": {"roles": []},
     "at": "2026-01-01T00:00:00+00:00", "details": []},
    {"action": "auth.login.password", "outcome": "success", "actor": {"roles": [], "subject": 5},
     "at": "2026-01-01T00:00:00+00:00"},
], ids=repr)
def test_parse_audit_says_what_is_wrong(broken: dict[str, Any]) -> None:
    with pytest.raises(InvalidAudit):
        parse_audit(broken)
