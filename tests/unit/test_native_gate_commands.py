"""What a native gate does with each platform command, and the reason it gives when its device refuses."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from realname_codes import gate_protocol as gp
from realname_edge.gate_sims.device import SimulatedDevice, larger_than, refuse_hashes, smaller_than
from realname_edge.gate_sims.native_commands import apply

PHOTO = (Path(__file__).parent.parent / "support" / "faces" / "astronaut.jpg").read_bytes()
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


def a_device() -> SimulatedDevice:
    return SimulatedDevice("NATIVE-1")


def command(op: str, **fields: Any) -> gp.Command:
    return gp.Command(str(uuid.uuid4()), op, fields.pop("device", "NATIVE-1"), fields.pop("sequence", 5), **fields)


def enrol(key: str = "1001", photo: bytes | None = PHOTO, **fields: Any) -> gp.Command:
    face = {} if photo is None else {"face_jpeg": base64.b64encode(photo).decode(),
                                     "face_sha256": hashlib.sha256(photo).hexdigest()}
    return command(gp.ENROL, worker_key=key, **{"name": "张三", **face, **fields})


def test_an_enrol_puts_the_person_and_the_face_and_answers_done_with_the_commands_identity() -> None:
    device, enrolled = a_device(), enrol(valid_until="2026-12-31T23:59:59+08:00")

    ack = apply(enrolled, device)

    assert ack == gp.Ack(enrolled.command_id, "NATIVE-1", gp.ENROL, gp.DONE, 5, "1001")
    assert device.listing() == {"1001": PHOTO_SHA}
    assert device.people["1001"].valid_until == "2026-12-31T23:59:59+08:00"


def test_an_enrol_applied_twice_ends_as_once_and_a_new_photo_replaces_the_old() -> None:
    device = a_device()
    apply(enrol(), device)
    assert apply(enrol(), device).outcome == gp.DONE
    other = PHOTO[:-2] + b"\x00\xff"
    assert apply(enrol(photo=other, name="张三丰"), device).outcome == gp.DONE
    assert device.listing() == {"1001": hashlib.sha256(other).hexdigest()}
    assert device.people["1001"].name == "张三丰"


def test_a_revoke_removes_the_person_and_one_not_there_is_done_too() -> None:
    device = a_device()
    apply(enrol(), device)
    assert apply(command(gp.REVOKE, worker_key="1001"), device).outcome == gp.DONE
    assert device.listing() == {}
    assert apply(command(gp.REVOKE, worker_key="1001"), device).outcome == gp.DONE  # R26


def test_a_digest_answers_with_what_the_device_holds_sorted() -> None:
    device = a_device()
    apply(enrol("1002"), device)
    apply(enrol("1001", photo=None), device)

    ack = apply(command(gp.DIGEST, people=[["1001", PHOTO_SHA]]), device)

    assert (ack.outcome, ack.people) == (gp.DONE, [["1001", ""], ["1002", PHOTO_SHA]])


def test_set_time_puts_the_devices_clock_right_and_a_time_without_offset_is_a_bad_parameter() -> None:
    device = a_device()
    device.drift(-600)
    assert apply(command(gp.SET_TIME, time=datetime.now(UTC).isoformat()), device).outcome == gp.DONE
    assert abs(device.clock_drift_s) < 2

    naive = (datetime.now(UTC) + timedelta(hours=8)).replace(tzinfo=None).isoformat()
    ack = apply(command(gp.SET_TIME, time=naive), device)
    assert (ack.outcome, ack.reason) == (gp.FAILED, gp.BAD_PARAMETERS)
    assert abs(device.clock_drift_s) < 2


def test_a_full_device_answers_device_full_for_people_and_for_faces() -> None:
    device = a_device()
    apply(enrol("1001"), device)
    device.fill_up(people_capacity=1)
    assert apply(enrol("1002"), device).reason == gp.DEVICE_FULL

    device.fill_up(people_capacity=5, faces_capacity=1)
    ack = apply(enrol("1003"), device)
    assert (ack.outcome, ack.reason, ack.photo_problem) == (gp.FAILED, gp.DEVICE_FULL, None)
    assert "faces_full" in ack.detail


def test_each_photo_refusal_is_photo_rejected_with_what_is_wrong_with_the_picture() -> None:
    for rule, problem in ((refuse_hashes({PHOTO_SHA}), "modelling_failed"),
                          (refuse_hashes({PHOTO_SHA}, "no_face"), "no_face"),
                          (larger_than(10_000), "size_out_of_range"),
                          (smaller_than(600, 800), "not_sharp")):
        device = a_device()
        device.reject_photos(rule)

        ack = apply(enrol(), device)

        assert (ack.outcome, ack.reason, ack.photo_problem) == (gp.FAILED, gp.PHOTO_REJECTED, problem)
        assert gp.decode(gp.encode(ack, source="t"))[1] == ack  # a valid answer on the wire


def test_a_command_for_another_device_is_unknown_device_and_changes_nothing() -> None:
    device = a_device()
    ack = apply(enrol(device="NATIVE-2"), device)
    assert (ack.outcome, ack.reason, ack.device) == (gp.FAILED, gp.UNKNOWN_DEVICE, "NATIVE-2")
    assert device.listing() == {}


def test_a_damaged_photo_or_a_key_that_is_not_digits_is_a_bad_parameter_and_changes_nothing() -> None:
    device = a_device()
    not_base64 = enrol(face_jpeg="**not base64**")
    damaged = enrol(face_sha256="00" * 32)
    for bad in (not_base64, damaged, enrol(key="W-1001"), enrol(key="1" * 33), command(gp.REVOKE)):
        ack = apply(bad, device)
        assert (ack.outcome, ack.reason) == (gp.FAILED, gp.BAD_PARAMETERS), bad.worker_key
        assert "**not base64**" not in ack.detail
    assert device.listing() == {}
