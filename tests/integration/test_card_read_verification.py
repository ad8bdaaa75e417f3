"""Card reads are checked, verified with the identity authority and announced (R1-R3), on real RabbitMQ and PostgreSQL.

The identity service's consumer and relay run as processes; the authority's simulator runs in the test on a clock
the test moves, so that it can be closed for a weekend and opened again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from kombu import Connection, Queue, binding

from realname_identity.app import create_app
from realname_identity.events import VERIFIED
from realname_kit.bus.envelope import Envelope
from realname_kit.privacy import shared_keyring
from tests.support.authority import MONDAY, SATURDAY, RunningAuthority
from tests.support.cards import card_of, drain_envelopes, json_of, person
from tests.support.stack import Stack, eventually
from tests.support.tokens import bearer

READS = "/api/v1/identity/card-reads"
PEOPLE = [person(n) for n in range(40)] + [person(40, "reported_fake"), person(41, "expired")]


@dataclass
class Identity:
    stack: Stack
    authority: RunningAuthority
    client: FlaskClient
    headers: dict[str, str]
    employer_id: str
    events: str  # a queue of the test's own, bound to identity.verified and identity.rejected

    def post(self, card: dict[str, Any], **headers: str) -> Any:
        return self.client.post(READS, json=card, headers={**self.headers, **headers})

    def status(self, read_id: str) -> dict[str, Any]:
        response = self.client.get(f"{READS}/{read_id}", headers=self.headers)
        assert response.status_code == 200, json_of(response)
        return dict(json_of(response))

    def settled(self, read_id: str, timeout: float = 60) -> dict[str, Any]:
        return dict(eventually(lambda: (s := self.status(read_id))["status"] != "pending" and s, timeout=timeout))

    def announced(self) -> list[Envelope]:
        return drain_envelopes(self.stack.amqp, self.events)


@pytest.fixture
def identity(stack: Stack, tmp_path: Path) -> Iterator[Identity]:
    stack.migrate("identity")
    stack.declare()
    events = f"{stack.prefix}.test.identity-events"
    exchange = stack.topology.exchange("identity")
    with Connection(stack.amqp) as conn:
        Queue(events, bindings=[binding(exchange, routing_key=k) for k in ("identity.verified", "identity.rejected")],
              durable=False, auto_delete=False)(conn.default_channel).declare()
    with RunningAuthority(tmp_path, PEOPLE, latency_seconds=0.02) as authority:
        env = {"REALNAME_IDENTITY_AUTHORITY_URL": authority.url, "REALNAME_IDENTITY_AUTHORITY_TIMEOUT": "2"}
        stack.spawn("consumer", "identity", **env)
        stack.spawn("relay", "identity", **env)
        employer_id = str(uuid.uuid4())
        app = create_app(stack.settings, stack.db("identity"))
        yield Identity(stack, authority, app.test_client(), bearer(stack.settings, "labour", enterprise_id=employer_id),
                       employer_id, events)
        with Connection(stack.amqp) as conn:
            Queue(events)(conn.default_channel).delete()


def test_a_read_of_a_registered_person_is_verified_and_announced_with_the_cards_fields_r1(identity: Identity) -> None:
    someone = PEOPLE[0]
    answer = identity.post(card_of(someone, photo="AAEC" * 10))
    assert answer.status_code == 201, json_of(answer)
    assert json_of(answer)["status"] == "pending" and answer.headers["Location"].endswith(json_of(answer)["id"])
    read = identity.settled(json_of(answer)["id"])
    assert (read["status"], read["reason"], read["attempts"]) == ("verified", None, 1)
    assert read["id_number"] == someone["id_number"][:6] + "********" + someone["id_number"][-4:]  # R4
    assert read["has_photo"] is True
    (event,) = eventually(identity.announced, timeout=45)
    assert event.type == "identity.verified"
    on_the_bus = json.dumps(event.data, ensure_ascii=False)
    assert event.version == 2 and someone["id_number"] not in on_the_bus and someone["name"] not in on_the_bus
    card = VERIFIED.open(shared_keyring(identity.stack.settings), event.data)  # sealed with the data keyring
    assert card["read_id"] == read["id"] and card["id_number"] == someone["id_number"]
    assert card["employer_id"] == identity.employer_id and "photo" not in card


def test_the_same_read_sent_again_is_one_read_answered_as_it_stands_r33(identity: Identity) -> None:
    card = card_of(PEOPLE[1])
    first = identity.post(card, **{"Idempotency-Key": "retry-1"})
    again = identity.post(card, **{"Idempotency-Key": "retry-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert json_of(first)["id"] == json_of(again)["id"]
    identity.settled(json_of(first)["id"])
    eventually(identity.announced, timeout=45)
    assert identity.stack.count("identity", "SELECT count(*) FROM card_reads") == 1


@pytest.mark.parametrize(("changes", "reason"), [
    ({"id_number": "310104198503150010"}, "number_invalid"),  # a wrong check character
    ({"valid_from": "2000-05-01", "valid_to": "2020-05-01"}, "card_expired"),
    ({"sex": "female"}, "sex_mismatch"),  # the number is a man's
    ({"valid_from": "2024-05-01", "valid_to": "2029-05-01"}, "validity_impossible"),  # 5 years, issued at 38 or older
])
def test_a_read_that_fails_its_own_checks_is_rejected_at_once_with_a_reason_r2(
        identity: Identity, changes: dict[str, str], reason: str) -> None:
    answer = identity.post(card_of(PEOPLE[2], **changes))
    assert answer.status_code == 201
    read = json_of(answer)
    assert (read["status"], read["reason"], read["attempts"]) == ("rejected", reason, 0)
    assert read["message"] and read["message_zh"] and read["detail"]
    (event,) = eventually(identity.announced, timeout=45)
    assert (event.type, event.data["reason"]) == ("identity.rejected", reason)


@pytest.mark.parametrize(("someone", "card", "reason"), [
    (PEOPLE[3], card_of(PEOPLE[3], name="李四"), "mismatch"),
    (PEOPLE[40], card_of(PEOPLE[40]), "reported_fake"),
    (PEOPLE[41], card_of(PEOPLE[41]), "card_expired"),
    (None, card_of(person(99)), "not_found"),
])
def test_the_authoritys_verdict_rejects_a_read_with_its_reason_r2(
        identity: Identity, someone: dict[str, str] | None, card: dict[str, Any], reason: str) -> None:
    read = identity.settled(json_of(identity.post(card))["id"])
    assert (read["status"], read["reason"]) == ("rejected", reason)
    assert read["message_zh"]


def test_reads_made_while_the_authority_is_closed_wait_and_are_all_verified_once_when_it_opens_r3(
        identity: Identity) -> None:
    identity.authority.clock.set(SATURDAY)
    ids = [json_of(identity.post(card_of(someone)))["id"] for someone in PEOPLE[5:25]]
    waiting = eventually(lambda: all((s := identity.status(i))["attempts"] >= 2 for i in ids) and s, timeout=30)
    assert waiting["status"] == "pending" and waiting["reason"] == "authority_closed"
    assert "weekends" in waiting["message"] and waiting["next_attempt_at"]
    assert identity.announced() == []
    identity.authority.clock.set(MONDAY)
    reads = [identity.settled(i, timeout=60) for i in ids]
    assert {r["status"] for r in reads} == {"verified"}
    events: list[Envelope] = []

    def all_announced() -> bool:
        events.extend(identity.announced())
        return len(events) >= len(ids)

    eventually(all_announced, timeout=45)
    assert sorted(e.data["read_id"] for e in events) == sorted(ids)  # every read verified, none twice
    assert identity.stack.count("identity", "SELECT count(*) FROM card_reads WHERE status = 'verified'") == len(ids)


def test_the_list_shows_only_the_employers_own_reads_and_a_stranger_gets_404(identity: Identity) -> None:
    read_id = json_of(identity.post(card_of(PEOPLE[30])))["id"]
    other = bearer(identity.stack.settings, "labour", enterprise_id=str(uuid.uuid4()))
    assert identity.client.get(f"{READS}/{read_id}", headers=other).status_code == 404
    mine = json_of(identity.client.get(READS, headers=identity.headers))["items"]
    theirs = json_of(identity.client.get(READS, headers=other))["items"]
    assert [r["id"] for r in mine] == [read_id] and theirs == []


def test_a_malformed_read_changes_nothing_and_says_which_field(identity: Identity) -> None:
    answer = identity.post(card_of(PEOPLE[31], birth_date="1985-02-30"))
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert "birth_date" in json.dumps(json_of(answer))
    assert identity.stack.count("identity", "SELECT count(*) FROM card_reads") == 0
