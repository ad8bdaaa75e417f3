"""Card reads reach the registry over RabbitMQ (R1–R3): pending, verified or rejected, as identity sends them.

A registration from a verified read takes its fields as they are; from a pending one too, and the worker is
``unverified`` until the read is verified. A worker typed in by hand waits as ``unverified`` and becomes
``verified`` (or ``rejected``) when the identity service has its answer, or at once when the employer's own
verified read of the number came first (another enterprise's read is not the employer's: test_foreign_card_reads).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from flask import Flask
from kombu import Connection, Producer
from sqlalchemy import text

from realname_kit.bus.envelope import Envelope
from realname_kit.privacy import shared_keyring
from realname_registry.app import create_app
from realname_registry.card_reads import SEALED, SEALED_VERSION
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer
from tests.support.workers import Client, id_number, worker_body

WORKERS = "/api/v1/registry/workers"


def publish(stack: Stack, event_type: str, data: dict[str, Any]) -> None:
    """As the identity service publishes it: the card's fields sealed with the data keyring (version 2)."""
    sealed = SEALED[event_type].seal(shared_keyring(stack.settings), data)
    envelope = Envelope(type=event_type, source="identity", data=sealed, version=SEALED_VERSION)
    with Connection(stack.amqp) as conn:
        producer = Producer(conn.default_channel, exchange=stack.topology.exchange("identity"))
        producer.publish(envelope.to_json(), routing_key=event_type, content_type="application/json",
                         content_encoding="utf-8", message_id=envelope.id)


def verified_read(employer_id: str, number: str, name: str = "马超") -> dict[str, Any]:
    return {**pending_read(employer_id, number, name), "verified_at": "2026-11-20T08:00:00+00:00"}


def pending_read(employer_id: str, number: str, name: str = "马超") -> dict[str, Any]:
    return {"read_id": str(uuid.uuid4()), "employer_id": employer_id, "id_number": number, "name": name,
            "sex": "male", "ethnicity": "01", "birth_date": "1985-03-15", "address": "上海市徐汇区漕溪北路1号",
            "issuing_authority": "上海市公安局徐汇分局", "valid_from": "2016-05-01", "valid_to": "2036-05-01",
            "card_serial": None, "received_at": "2026-11-21T02:00:00+00:00"}


def read_status(stack: Stack, read_id: str) -> str | None:
    with stack.db("registry").engine.connect() as conn:
        return conn.execute(text("SELECT status FROM card_reads WHERE id = :i"), {"i": read_id}).scalar()


def identity_status(employer: Client, worker_id: str, wanted: str) -> dict[str, Any] | None:
    shown: dict[str, Any] = employer.get(f"{WORKERS}/{worker_id}").get_json()
    return shown if shown["identity_status"] == wanted else None


def from_read(read_id: str) -> dict[str, Any]:
    body = worker_body(None, trade_code="900")
    body.pop("identity")
    return {**body, "card_read_id": read_id}


@pytest.fixture
def running(stack: Stack) -> tuple[Stack, Flask, Client, str]:
    stack.migrate("registry")
    stack.declare()
    stack.spawn("consumer", "registry")
    employer_id = str(uuid.uuid4())
    app = create_app(stack.settings, stack.db("registry"))
    return stack, app, Client(app.test_client(), bearer(stack.settings, "labour", enterprise_id=employer_id)), \
        employer_id


def test_a_registration_from_a_verified_read_takes_its_fields_and_is_verified_r1(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, employer_id = running
    read = verified_read(employer_id, id_number(date(1985, 3, 15)))
    publish(stack, "identity.verified", read)
    eventually(lambda: stack.count("registry", "SELECT count(*) FROM card_reads WHERE id = :i", i=read["read_id"]),
               timeout=60)
    body = worker_body(None, trade_code="900")
    body.pop("identity")
    response = employer.post(WORKERS, json={**body, "card_read_id": read["read_id"]})
    assert response.status_code == 201, response.get_json()
    worker = response.get_json()
    assert (worker["name"], worker["identity_status"]) == ("马超", "verified")
    typed_over = employer.post(WORKERS, json={**body, "card_read_id": read["read_id"],
                                              "identity": worker_body(None)["identity"]})
    assert typed_over.status_code == 422 and typed_over.get_json()["reason"] == "identity_from_card_read"


def test_another_employers_read_cannot_be_used(running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, _ = running
    read = verified_read(str(uuid.uuid4()), id_number(date(1985, 3, 15)))
    publish(stack, "identity.verified", read)
    eventually(lambda: stack.count("registry", "SELECT count(*) FROM card_reads WHERE id = :i", i=read["read_id"]),
               timeout=60)
    body = worker_body(None, trade_code="900")
    body.pop("identity")
    response = employer.post(WORKERS, json={**body, "card_read_id": read["read_id"]})
    assert response.status_code == 422 and response.get_json()["reason"] == "card_read_unknown"


def test_a_worker_typed_in_becomes_verified_when_identity_verifies_the_number_r3(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, employer_id = running
    number = id_number(date(1985, 3, 15))
    body = worker_body(None, number=number, name="马超", trade_code="900")
    worker = employer.post(WORKERS, json=body).get_json()
    assert worker["identity_status"] == "unverified"
    publish(stack, "identity.verified", verified_read(employer_id, number))

    def verified() -> bool:
        return bool(employer.get(f"{WORKERS}/{worker['id']}").get_json()["identity_status"] == "verified")
    eventually(verified, timeout=60)
    history = employer.get(f"{WORKERS}/{worker['id']}/history").get_json()["items"]
    assert [h["action"] for h in history] == ["registered", "identity_verified"]


def test_a_worker_typed_in_is_marked_rejected_with_the_authoritys_reason(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, employer_id = running
    number = id_number(date(1985, 3, 15))
    worker = employer.post(WORKERS, json=worker_body(None, number=number, trade_code="900")).get_json()
    publish(stack, "identity.rejected", {"read_id": str(uuid.uuid4()), "employer_id": employer_id,
                                         "id_number": number, "reason": "reported_fake"})

    def rejected() -> dict[str, Any] | None:
        shown: dict[str, Any] = employer.get(f"{WORKERS}/{worker['id']}").get_json()
        return shown if shown["identity_status"] == "rejected" else None
    assert eventually(rejected, timeout=60)["identity_reason"] == "reported_fake"


def test_a_pending_read_fills_the_registration_in_and_the_worker_is_verified_when_the_read_is_r3(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, employer_id = running
    read = pending_read(employer_id, id_number(date(1985, 3, 15)))
    publish(stack, "identity.read_pending", read)
    eventually(lambda: read_status(stack, read["read_id"]) == "pending", timeout=60)
    response = employer.post(WORKERS, json=from_read(read["read_id"]))
    assert response.status_code == 201, response.get_json()
    worker = response.get_json()
    assert (worker["name"], worker["address"], worker["identity_status"]) == ("马超", read["address"], "unverified")
    publish(stack, "identity.verified", {**read, "verified_at": "2026-11-23T00:00:05+00:00"})
    eventually(lambda: identity_status(employer, worker["id"], "verified"), timeout=60)
    assert read_status(stack, read["read_id"]) == "verified"
    history = employer.get(f"{WORKERS}/{worker['id']}/history").get_json()["items"]
    assert [h["action"] for h in history] == ["registered", "identity_verified"]


def test_a_pending_read_then_rejected_rejects_the_worker_and_can_fill_nothing_in_any_more(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, employer_id = running
    read = pending_read(employer_id, id_number(date(1985, 3, 15)))
    publish(stack, "identity.read_pending", read)
    eventually(lambda: read_status(stack, read["read_id"]) == "pending", timeout=60)
    worker = employer.post(WORKERS, json=from_read(read["read_id"])).get_json()
    publish(stack, "identity.rejected", {"read_id": read["read_id"], "employer_id": employer_id,
                                         "id_number": read["id_number"], "reason": "mismatch"})
    shown = eventually(lambda: identity_status(employer, worker["id"], "rejected"), timeout=60)
    assert shown["identity_reason"] == "mismatch"
    refused = employer.post(WORKERS, json=from_read(read["read_id"]))
    assert refused.status_code == 422
    assert (refused.get_json()["reason"], refused.get_json()["card_read_reason"]) == ("card_read_rejected", "mismatch")
    assert refused.get_json()["message_zh"]


def test_a_read_verified_before_the_worker_is_typed_in_verifies_the_worker_at_once_with_the_cards_fields(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, employer_id = running
    number = id_number(date(1985, 3, 15))
    read = verified_read(employer_id, number)
    publish(stack, "identity.verified", read)
    eventually(lambda: read_status(stack, read["read_id"]) == "verified", timeout=60)
    typed = worker_body(None, number=number, name="马起", trade_code="900")  # a typo the card corrects (R1)
    worker = employer.post(WORKERS, json=typed).get_json()
    assert (worker["identity_status"], worker["name"], worker["address"]) == ("verified", "马超", read["address"])


def test_another_employers_verified_read_of_the_number_leaves_a_worker_typed_in_unverified_r1(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, _ = running
    number = id_number(date(1985, 3, 15))
    read = verified_read(str(uuid.uuid4()), number)
    publish(stack, "identity.verified", read)
    eventually(lambda: read_status(stack, read["read_id"]) == "verified", timeout=60)
    worker = employer.post(WORKERS, json=worker_body(None, number=number, name="马超", trade_code="900")).get_json()
    assert worker["identity_status"] == "unverified"


def test_a_pending_announcement_arriving_after_the_verification_leaves_the_read_verified(
        running: tuple[Stack, Flask, Client, str]) -> None:
    stack, _app, employer, employer_id = running
    read = verified_read(employer_id, id_number(date(1985, 3, 15)))
    publish(stack, "identity.verified", read)
    eventually(lambda: read_status(stack, read["read_id"]) == "verified", timeout=60)
    publish(stack, "identity.read_pending", {k: v for k, v in read.items() if k != "verified_at"})
    marker = verified_read(employer_id, id_number(date(1985, 3, 15)))  # handled after the late announcement
    publish(stack, "identity.verified", marker)
    eventually(lambda: read_status(stack, marker["read_id"]) == "verified", timeout=60)
    assert read_status(stack, read["read_id"]) == "verified"
    worker = employer.post(WORKERS, json=from_read(read["read_id"])).get_json()
    assert worker["identity_status"] == "verified"
