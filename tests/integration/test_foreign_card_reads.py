"""Another enterprise's card read of your worker changes nothing of them, and you see that it was tried (R1, R12).

The identity authority answers for a card and a name, not for who held the card: any employer can read any
number. Only a read made by the worker's own employer decides their identity; a read by anyone else neither
rejects them nor writes its fields over theirs, and shows in the employer's history of the worker as a read
"by another enterprise", its result and time, without naming the enterprise (a regulator finds it in the audit
log).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from realname_kit.timeutil import today_in_china
from tests.support.identity_events import read_of, rejected, verified
from tests.support.registry_app import WORKERS, Registry, history, typed_in
from tests.support.stack import Stack
from tests.support.workers import id_number, worker_body

FORGED = {"address": "广东省深圳市福田区某某路99号", "issuing_authority": "深圳市公安局福田分局"}


@pytest.fixture(scope="module")
def registry(module_stack: Stack) -> Registry:
    return Registry.on(module_stack)


def test_another_employers_mismatching_read_does_not_reject_your_worker(registry: Registry) -> None:
    a, _ = registry.employer()
    _, b_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    worker = typed_in(a, number)
    read = read_of(b_id, number, "马起")  # the wrong name: the authority answers mismatch
    registry.deliver("identity.read_pending", read)
    registry.deliver("identity.rejected", rejected(read, "mismatch"))
    shown = a.get(f"{WORKERS}/{worker['id']}").get_json()
    assert (shown["identity_status"], shown["identity_reason"], shown["version"]) == ("unverified", None, 1)
    assert registry.events("worker.updated", worker["id"]) == []


def test_another_employers_verified_read_does_not_overwrite_your_workers_identity(registry: Registry) -> None:
    a, _ = registry.employer()
    _, b_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    worker = typed_in(a, number)
    read = read_of(b_id, number, "马超", **FORGED)  # right name and number: the authority answers match
    registry.deliver("identity.read_pending", read)
    registry.deliver("identity.verified", verified(read))
    shown = a.get(f"{WORKERS}/{worker['id']}").get_json()
    assert (shown["identity_status"], shown["address"], shown["issuing_authority"], shown["version"]) == \
        ("unverified", worker["address"], worker["issuing_authority"], 1)
    assert registry.events("worker.updated", worker["id"]) == []


def test_the_employer_sees_each_foreign_read_as_an_attempt_without_the_other_enterprise(registry: Registry) -> None:
    a, _ = registry.employer()
    _, b_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    worker = typed_in(a, number)
    mismatching, forged = read_of(b_id, number, "马起"), read_of(b_id, number, "马超", **FORGED)
    registry.deliver("identity.rejected", rejected(mismatching, "mismatch"))
    registry.deliver("identity.verified", verified(forged))
    entries = history(a, worker["id"])
    assert [e["action"] for e in entries] == ["registered", "card_read_by_other_enterprise",
                                             "card_read_by_other_enterprise"]
    assert [e["changes"] for e in entries[1:]] == [
        {"result": [None, "rejected"], "reason": [None, "mismatch"]},
        {"result": [None, "verified"], "differs_in": [None, ["address", "issuing_authority"]]}]
    assert b_id not in json.dumps(entries) and FORGED["address"] not in json.dumps(entries)
    assert [e["actor_enterprise_id"] for e in entries[1:]] == [None, None]
    audited = registry.events("audit.recorded", worker["id"])
    assert [(r["action"], r["outcome"], r["actor"]["enterprise_id"], r["details"]["result"]) for r in audited] == [
        ("identity.card_read_by_other_enterprise", "denied", b_id, "rejected"),
        ("identity.card_read_by_other_enterprise", "denied", b_id, "verified")]
    regulator_view = history(registry.regulator(), worker["id"])
    assert [e["action"] for e in regulator_view] == [e["action"] for e in entries]


def test_your_own_reads_still_verify_and_reject_your_workers(registry: Registry) -> None:
    a, a_id = registry.employer()
    to_reject, to_verify = id_number(date(1985, 3, 15)), id_number(date(1985, 3, 15))
    rejected_worker, verified_worker = typed_in(a, to_reject), typed_in(a, to_verify)
    registry.deliver("identity.rejected", rejected(read_of(a_id, to_reject, "马起"), "mismatch"))
    renewed = read_of(a_id, to_verify, "马超", address="上海市闵行区莘庄镇1号")
    registry.deliver("identity.verified", verified(renewed))
    shown = a.get(f"{WORKERS}/{rejected_worker['id']}").get_json()
    assert (shown["identity_status"], shown["identity_reason"]) == ("rejected", "mismatch")
    shown = a.get(f"{WORKERS}/{verified_worker['id']}").get_json()
    assert (shown["identity_status"], shown["address"]) == ("verified", renewed["address"])
    assert [e["action"] for e in history(a, verified_worker["id"])] == ["registered", "identity_verified"]


def test_a_worker_typed_in_does_not_take_another_employers_verified_read(registry: Registry) -> None:
    a, _ = registry.employer()
    _, b_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    registry.deliver("identity.verified", verified(read_of(b_id, number, "马超", **FORGED)))
    worker = typed_in(a, number)
    assert (worker["address"], worker["identity_status"]) == ("上海市徐汇区漕溪北路1号", "unverified")


def test_a_new_employers_own_read_registers_and_then_verifies_the_worker_it_employs_now(registry: Registry) -> None:
    a, _ = registry.employer()
    b, b_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    worker = typed_in(a, number)
    read = read_of(b_id, number, "马超", address="江苏省苏州市姑苏区1号")
    registry.deliver("identity.read_pending", read)
    body = {k: v for k, v in worker_body(None, trade_code="900").items() if k != "identity"}
    employed_elsewhere = b.post(WORKERS, json={**body, "card_read_id": read["read_id"]})
    assert employed_elsewhere.status_code == 409, employed_elsewhere.get_json()
    resigned = a.post(f"{WORKERS}/{worker['id']}/resignation", json={"date": str(today_in_china())})
    assert resigned.status_code == 200, resigned.get_json()
    registered = b.post(WORKERS, json={**body, "card_read_id": read["read_id"]})
    assert registered.status_code == 201, registered.get_json()
    registry.deliver("identity.verified", verified(read))
    shown = b.get(f"{WORKERS}/{worker['id']}").get_json()
    assert (shown["identity_status"], shown["address"]) == ("verified", read["address"])
    assert "card_read_by_other_enterprise" not in [e["action"] for e in history(b, worker["id"])]


def test_a_former_employer_is_not_told_of_reads_after_the_employment_ended(registry: Registry) -> None:
    a, _ = registry.employer()
    _, b_id = registry.employer()
    number = id_number(date(1985, 3, 15))
    worker = typed_in(a, number)
    assert a.post(f"{WORKERS}/{worker['id']}/resignation", json={"date": str(today_in_china())}).status_code == 200
    registry.deliver("identity.rejected", rejected(read_of(b_id, number, "马起"), "mismatch"))
    shown = a.get(f"{WORKERS}/{worker['id']}").get_json()
    assert shown["identity_status"] == "unverified"
    assert [e["action"] for e in history(a, worker["id"])] == ["registered", "resigned"]
