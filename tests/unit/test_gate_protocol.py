"""The gate wire protocol: every message survives the wire unchanged, anything else is refused as invalid."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from realname_codes import gate_protocol as gp


def a_command(**changes: Any) -> gp.Command:
    fields: dict[str, Any] = {
        "command_id": str(uuid.uuid4()), "op": gp.ENROL, "device": "DS-K1T671-001", "sequence": 3,
        "worker_key": "20260001", "name": "李四", "face_jpeg": "/9j/4AAQSkZJRg==", "face_sha256": "ab" * 32,
        "valid_from": "2026-03-01T00:00:00+08:00", "valid_until": None}
    return gp.Command(**{**fields, **changes})


def every_message() -> list[gp.Command | gp.Ack | gp.Report | gp.Punch]:
    now = datetime.now(UTC).isoformat()
    return [
        a_command(),
        a_command(op=gp.DIGEST, worker_key=None, people=[["20260001", "ab" * 32], ["20260002", ""]]),
        a_command(op=gp.SET_TIME, time=now),
        gp.Ack("c-1", "GATE-1", gp.ENROL, gp.FAILED, 4, "20260001", gp.PHOTO_REJECTED, "no_face", "D01E0001"),
        gp.Ack("c-2", "GATE-1", gp.DIGEST, gp.DONE, people=[["20260001", "cd" * 32]]),
        gp.Report("GATE-1", now, online=False, kind=gp.ZKTECO_PUSH, model="SpeedFace-V5L", firmware="ZAM180",
                  people=12, faces=11, people_capacity=3000, faces_capacity=3000, clock_offset_s=-75.5,
                  problem="clock_off"),
        gp.Punch("GATE-1", "20260001", now, "GATE-1:20260001:2026-03-02 07:31:02", direction=gp.IN,
                 photo_jpeg="/9j/4AAQ"),
    ]


@pytest.mark.parametrize("message", every_message(), ids=lambda m: type(m).__name__)
def test_every_message_comes_back_from_the_wire_equal_to_what_was_sent(message: Any) -> None:
    envelope, decoded = gp.decode(gp.encode(message, source="attendance", correlation_id="corr-1"))

    assert decoded == message
    assert (envelope["source"], envelope["correlation_id"], envelope["version"]) == ("attendance", "corr-1", 1)
    uuid.UUID(envelope["id"])
    assert datetime.fromisoformat(envelope["occurred_at"]).tzinfo is not None


def test_each_message_travels_under_its_type_and_chinese_names_stay_readable() -> None:
    types = [json.loads(gp.encode(m, source="s"))["type"] for m in every_message()]
    assert types == [gp.COMMAND] * 3 + [gp.ACKNOWLEDGED] * 2 + [gp.REPORTED, gp.PUNCHED]
    assert "李四".encode() in gp.encode(a_command(), source="s")


def test_a_field_it_does_not_know_is_ignored_so_a_newer_sender_is_still_understood() -> None:
    body = json.loads(gp.encode(a_command(), source="attendance"))
    body["data"]["door_no"] = 2
    body["spare"] = True

    _, decoded = gp.decode(json.dumps(body).encode())

    assert decoded == gp.decode(gp.encode(a_command(command_id=body["data"]["command_id"]), source="x"))[1]


def envelope_of(kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"id": "e-1", "type": kind, "version": 1, "data": data}).encode()


def command_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gp.encode(a_command(), source="s"))["data"]
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize(("body", "why"), [
    (b"\xff\xfe not utf-8", "not JSON"),
    (b"{", "not JSON"),
    (b"[1, 2]", "not an envelope"),
    (json.dumps({"type": gp.COMMAND}).encode(), "not an envelope"),
    (envelope_of("gate.opened", {"device": "G"}), "unknown type"),
    (envelope_of(gp.COMMAND, command_data(op="format_disk")), "unknown op"),
    (envelope_of(gp.COMMAND, command_data(command_id=...)), "command_id"),
    (envelope_of(gp.COMMAND, command_data(device="")), "no device"),
    (envelope_of(gp.COMMAND, command_data(device=17)), "no device"),
    (envelope_of(gp.COMMAND, command_data(sequence="3")), "sequence"),
    (envelope_of(gp.COMMAND, command_data(sequence=True)), "sequence"),
    (envelope_of(gp.COMMAND, command_data(worker_key=20260001)), "worker_key"),
    (envelope_of(gp.COMMAND, command_data(people="20260001")), "people"),
    (envelope_of(gp.COMMAND, command_data(people=[["20260001", 5]])), "people"),
    (envelope_of(gp.ACKNOWLEDGED, {"command_id": "c", "device": "G", "op": gp.ENROL, "outcome": "maybe"}),
     "unknown outcome"),
    (envelope_of(gp.ACKNOWLEDGED, {"command_id": "c", "device": "G", "op": gp.ENROL, "outcome": gp.FAILED,
                                   "reason": "gremlins"}), "unknown reason"),
    (envelope_of(gp.ACKNOWLEDGED, {"command_id": "c", "device": "G", "op": gp.ENROL, "outcome": gp.FAILED}),
     "unknown reason"),
    (envelope_of(gp.REPORTED, {"device": "G", "contact_at": "2026-03-02T07:00:00+08:00", "people": "12"}),
     "people"),
    (envelope_of(gp.REPORTED, {"device": "G", "contact_at": "2026-03-02T07:00:00+08:00", "online": "yes"}),
     "online"),
    (envelope_of(gp.PUNCHED, {"device": "G", "worker_key": "1", "at": "2026-03-02T07:00:00+08:00"}), "event_key"),
    (envelope_of(gp.PUNCHED, {"device": "G", "worker_key": "", "at": "x", "event_key": "k"}), "worker_key"),
])
def test_a_message_that_is_not_one_of_ours_is_refused_as_invalid(body: bytes, why: str) -> None:
    with pytest.raises(gp.InvalidGateMessage, match=why):
        gp.decode(body)


def test_the_refusal_never_repeats_a_field_s_value_which_may_be_a_face_photo() -> None:
    with pytest.raises(gp.InvalidGateMessage) as refused:
        gp.decode(envelope_of(gp.COMMAND, command_data(face_jpeg=["/9j/SECRETFACE"])))
    assert "SECRETFACE" not in str(refused.value)


def test_a_revoke_outranks_everything_and_an_enrol_comes_last() -> None:
    ranked = sorted(gp.OPERATIONS, key=lambda op: a_command(op=op).priority, reverse=True)
    assert ranked == [gp.REVOKE, gp.SET_TIME, gp.DIGEST, gp.ENROL]
    assert all(1 <= p <= gp.MAX_PRIORITY for p in gp.PRIORITY.values())
    assert gp.command_queue_arguments()["x-max-priority"] == gp.MAX_PRIORITY


def test_names_carry_the_prefix_and_a_command_queue_is_the_accounts_own() -> None:
    assert gp.exchange_in("t1.") == "t1.gates.events"
    assert gp.commands_exchange("t1.") == "t1.gates.commands"
    assert gp.command_queue("gate-7f3a", "t1.") == "t1.gates.commands.gate-7f3a"


def test_a_digest_is_the_sorted_pairs_of_what_a_device_holds_a_missing_face_read_as_empty() -> None:
    digest = gp.Digest.of([["20260002", "cd" * 32], ["20260001"], ["20260003", ""]])

    assert digest.people == {"20260001": "", "20260002": "cd" * 32, "20260003": ""}
    assert digest.pairs() == [["20260001", ""], ["20260002", "cd" * 32], ["20260003", ""]]
    assert gp.Digest.of(digest.pairs()) == digest
    assert gp.Digest().pairs() == []

