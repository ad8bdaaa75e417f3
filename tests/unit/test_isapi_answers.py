"""How the ISAPI driver reads a terminal's answers and events, and what it names as wrong (no I/O)."""

from __future__ import annotations

import uuid

import pytest

from realname_codes import gate_protocol as gp
from realname_edge.gates.isapi.answers import ABSENT, EXISTS, OK, judge
from realname_edge.gates.isapi.backfill import Gap, GapWatch
from realname_edge.gates.isapi.bodies import NO_END, device_local, user_info
from realname_edge.gates.isapi.command_queue import CommandQueue
from realname_edge.gates.isapi.events import punch_of
from realname_edge.gates.isapi.health import Health, findings_of, firmware_version


def isapi(sub: str, status: int = 6) -> dict[str, object]:
    return {"statusCode": status, "statusString": "Invalid Content", "subStatusCode": sub, "errorCode": 0x60000033,
            "errorMsg": sub}


def test_an_ok_answer_is_ok() -> None:
    assert judge(200, {"statusCode": 1, "statusString": "OK", "subStatusCode": "ok"}).kind == OK


def test_already_there_and_not_there_are_told_apart_from_failures() -> None:
    assert judge(400, isapi("employeeNoAlreadyExist")).kind == EXISTS
    assert judge(400, isapi("deviceUserAlreadyExist")).kind == EXISTS
    assert judge(400, isapi("employeeNoNotExist")).kind == ABSENT


@pytest.mark.parametrize(("words", "problem"), [
    ("noFaceDetected", "no_face"), ("multipleFacesInPicture", "several_faces"),
    ("faceModelingFailed", "modelling_failed"), ("lowQualityPicture", "quality_low"),
    ("pictureSizeOutOfRange", "size_out_of_range"), ("invalidFaceData", "format")])
def test_the_devices_photo_words_become_a_photo_problem(words: str, problem: str) -> None:
    verdict = judge(400, isapi(words))
    assert (verdict.reason, verdict.photo_problem) == (gp.PHOTO_REJECTED, problem)
    assert words in verdict.detail and "0x60000033" in verdict.detail


@pytest.mark.parametrize(("http", "body", "reason"), [
    (400, isapi("faceLibraryFull"), gp.DEVICE_FULL), (400, isapi("userLibraryFull"), gp.DEVICE_FULL),
    (403, isapi("notSupport", 4), gp.NOT_SUPPORTED), (404, None, gp.NOT_SUPPORTED),
    (400, isapi("badParameters"), gp.BAD_PARAMETERS), (503, isapi("", 2), gp.BUSY),
    (500, isapi("", 3), gp.DEVICE_ERROR), (401, None, gp.DEVICE_ERROR)])
def test_the_other_refusals_map_to_our_reasons(http: int, body: dict[str, object] | None, reason: str) -> None:
    verdict = judge(http, body)
    assert verdict.failed and verdict.reason == reason and verdict.photo_problem is None


def test_valid_times_are_written_in_the_devices_local_time_and_no_end_is_the_latest_it_takes() -> None:
    assert device_local("2026-03-01T00:00:00+00:00", NO_END) == "2026-03-01T08:00:00"
    body = user_info("1001", "张三", None, None, 1)["UserInfo"]
    assert body["Valid"]["endTime"] == NO_END and body["Valid"]["enable"] is True


def event(serial_no: int = 7, status: str = "checkIn", sub: int = 75) -> dict[str, object]:
    return {"majorEventType": 5, "subEventType": sub, "time": "2026-12-05T08:01:02+08:00",
            "employeeNoString": "1001", "serialNo": serial_no, "currentVerifyMode": "cardOrFace",
            "attendanceStatus": status}


def test_a_passed_face_event_is_a_punch_keyed_by_serial_number_and_time() -> None:
    punch = punch_of("SN1", gp.BOTH, event(), b"jpeg")
    assert punch == gp.Punch("SN1", "1001", "2026-12-05T08:01:02+08:00", "SN1:7:2026-12-05T08:01:02+08:00",
                             gp.IN, "face", None)


def test_the_gates_configured_direction_wins_over_the_attendance_status() -> None:
    assert punch_of("SN1", gp.BOTH, event(status="checkOut"), None).direction == gp.OUT  # type: ignore[union-attr]
    assert punch_of("SN1", gp.IN, event(status="checkOut"), None).direction == gp.IN  # type: ignore[union-attr]
    assert punch_of("SN1", gp.BOTH, event(status="undefined"), None).direction is None  # type: ignore[union-attr]


def test_a_failed_face_is_no_punch_and_the_capture_travels_only_when_asked() -> None:
    assert punch_of("SN1", gp.BOTH, event(sub=76), None) is None
    assert punch_of("SN1", gp.BOTH, event(), b"jpeg", with_photo=True).photo_jpeg == "anBlZw=="  # type: ignore[union-attr]


def health(**changes: object) -> Health:
    values: dict[str, object] = {"model": "DS-K1T671MF", "firmware": "V3.2.30 build 230101", "people": 10,
                                 "faces": 9, "people_capacity": 3000, "faces_capacity": 3000, "clock_offset_s": 0.4}
    values.update(changes)
    return Health(**values)  # type: ignore[arg-type]


def test_a_healthy_device_has_no_findings() -> None:
    assert findings_of("SN1", health()) == []


def test_a_clock_more_than_a_minute_off_a_full_device_and_an_old_firmware_are_named() -> None:
    assert [f.code for f in findings_of("SN1", health(clock_offset_s=-61.0))] == ["clock_off"]
    assert [f.code for f in findings_of("SN1", health(clock_offset_s=59.0))] == []
    assert [f.code for f in findings_of("SN1", health(faces=3000))] == ["full"]
    [old] = findings_of("SN1", health(firmware="V1.5.2 build 190101"))
    assert old.code == "unsupported_firmware" and "V2.0.0" in old.message and "V2.0.0" in old.message_zh
    assert [f.code for f in findings_of("SN1", health(supported=False))] == ["unsupported_firmware"]
    assert firmware_version("V3.2.30 build 230101") == (3, 2, 30)


def command(op: str) -> gp.Command:
    return gp.Command(str(uuid.uuid4()), op, "SN1", worker_key="1")


def test_a_revoke_overtakes_queued_enrols_and_equal_commands_keep_their_order() -> None:
    queue = CommandQueue()
    enrols = [command(gp.ENROL) for _ in range(3)]
    leave, digest = command(gp.REVOKE), command(gp.DIGEST)
    for queued in [*enrols, digest, leave]:
        queue.put(queued)
    assert [queue.take(0) for _ in range(5)] == [leave, digest, *enrols]
    assert queue.take(0) is None



def test_an_event_that_does_not_follow_the_last_one_reveals_a_gap() -> None:
    watch = GapWatch()
    assert watch.observe({"serialNo": 7, "frontSerialNo": 6, "time": "T7"}) is None  # the first: nothing to compare
    assert watch.observe({"serialNo": 8, "frontSerialNo": 7, "time": "T8"}) is None
    assert watch.observe({"serialNo": 8, "frontSerialNo": 7, "time": "T8"}) is None  # sent again: no gap
    assert watch.observe({"serialNo": 11, "frontSerialNo": 10, "time": "T11"}) == Gap("T8", "T11")
    assert watch.observe({"serialNo": 1, "frontSerialNo": 11, "time": "T1"}) is None  # wrapped after 11: follows
