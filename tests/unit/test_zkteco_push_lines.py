"""The ZKTeco PUSH text, read and written: ATTLOG records, uploads, device returns, INFO, commands, return codes."""

from __future__ import annotations

import base64
import hashlib

import pytest

from realname_codes.gate_protocol import (
    BAD_PARAMETERS,
    BUSY,
    DEVICE_ERROR,
    DEVICE_FULL,
    ENROL,
    IN,
    NOT_SUPPORTED,
    OUT,
    PHOTO_REJECTED,
    REVOKE,
    TIMEOUT,
)
from realname_edge.gates.zkteco import lines
from realname_edge.gates.zkteco.codes import outcome_of


def test_attlog_lines_become_punches_in_the_terminals_time_zone_keyed_by_serial_pin_and_time() -> None:
    body = "1001\t2026-12-05 07:58:03\t0\t15\t0\t0\r\n1002\t2026-12-05 18:01:00\t1\t15\t0\t0\r\n"
    punches, bad = lines.parse_attlog(body, "SN1", 8)
    assert bad == []
    assert [(p.worker_key, p.at, p.direction, p.verified_by) for p in punches] == [
        ("1001", "2026-12-05T07:58:03+08:00", IN, "face"), ("1002", "2026-12-05T18:01:00+08:00", OUT, "face")]
    assert punches[0].event_key == "SN1:1001:2026-12-05T07:58:03+08:00"


def test_a_terminal_keeping_another_time_zone_gives_its_own_offset() -> None:
    punches, _ = lines.parse_attlog("7\t2026-12-05 07:00:00\t4\t1\n", "SN1", 5.5)
    assert (punches[0].at, punches[0].direction, punches[0].verified_by) == (
        "2026-12-05T07:00:00+05:30", None, "fingerprint")


def test_malformed_attlog_lines_are_set_apart_and_the_good_ones_kept() -> None:
    body = "1001\t2026-12-05 07:58:03\t0\t15\nno tabs here\nabc\t2026-12-05 07:58:03\t0\t15\n5\t2026-02-30 00:00:00\n\n"
    punches, bad = lines.parse_attlog(body, "SN1", 8)
    assert [p.worker_key for p in punches] == ["1001"]
    assert bad == ["no tabs here", "abc\t2026-12-05 07:58:03\t0\t15", "5\t2026-02-30 00:00:00"]


def test_query_answers_are_read_from_userinfo_biophoto_and_operlog_uploads() -> None:
    photo = b"\xff\xd8 a jpeg"
    content = base64.b64encode(photo).decode()
    assert lines.parse_records("USERINFO", "PIN=1\tName=A\nPIN=2\tName=B\n") == [
        lines.TableRecord("USERINFO", "1"), lines.TableRecord("USERINFO", "2")]
    assert lines.parse_records("BIOPHOTO", f"PIN=1\tType=9\tSize={len(photo)}\tContent={content}\n") == [
        lines.TableRecord("BIOPHOTO", "1", hashlib.sha256(photo).hexdigest())]
    operlog = (f"OPLOG 4\t0\t2026-12-05 08:00:00\t0\t0\t0\t0\nUSER PIN=3\tName=C\n"
               f"BIOPHOTO PIN=3\tType=9\tContent={content}\n")
    assert [(r.table, r.pin) for r in lines.parse_records("OPERLOG", operlog)] == [("USERINFO", "3"), ("BIOPHOTO", "3")]


def test_device_returns_are_read_line_by_line() -> None:
    body = "ID=17&Return=0&CMD=DATA\r\nID=18&Return=D01E0003&CMD=DATA\r\ngarbage\r\n"
    assert lines.parse_devicecmd(body) == [lines.DeviceReturn("17", "0", "DATA"),
                                           lines.DeviceReturn("18", "D01E0003", "DATA")]


def test_the_info_of_a_poll_gives_firmware_people_and_faces() -> None:
    info = lines.parse_info("Ver 8.0.4.3-20220101,125,0,3467,192.168.1.201,10,7,12,118,111")
    assert info == lines.DeviceInfo("Ver 8.0.4.3-20220101", 125, 118)
    assert lines.parse_info("Ver 6.60,12") == lines.DeviceInfo("Ver 6.60", 12, None)


def test_the_person_command_carries_validity_in_the_terminals_wall_clock_and_no_tab_from_the_name() -> None:
    text = lines.userinfo_command("1001", "张\t三", "2026-12-01T00:00:00+00:00", None, 8)
    assert text.startswith("DATA UPDATE USERINFO PIN=1001\tName=张 三\t")
    assert "\tStartDatetime=2026-12-01 08:00:00\tEndDatetime=0" in text


def test_the_photo_command_states_the_decoded_size() -> None:
    text = lines.biophoto_command("9", base64.b64encode(b"12345").decode())
    assert text.startswith("DATA UPDATE BIOPHOTO PIN=9\tType=9\tSize=5\tContent=MTIzNDU=\t")


@pytest.mark.parametrize(("code", "op", "reason", "problem"), [
    ("0", ENROL, None, None), ("12", "digest", None, None), ("-1", ENROL, BAD_PARAMETERS, None),
    ("-2", ENROL, DEVICE_ERROR, None), ("-3", ENROL, DEVICE_ERROR, None), ("-10", REVOKE, None, None),
    ("-10", ENROL, DEVICE_ERROR, None), ("-1001", ENROL, DEVICE_FULL, None), ("-1002", ENROL, NOT_SUPPORTED, None),
    ("-1003", ENROL, TIMEOUT, None), ("-1005", REVOKE, BUSY, None),
    ("-1006", ENROL, PHOTO_REJECTED, "size_out_of_range"), ("D01E0001", ENROL, PHOTO_REJECTED, "no_face"),
    ("D01E0002", ENROL, PHOTO_REJECTED, "occluded"), ("D01E0003", ENROL, PHOTO_REJECTED, "not_sharp"),
    ("D01E0004", ENROL, PHOTO_REJECTED, "angle"), ("D01E0005", ENROL, PHOTO_REJECTED, "liveness"),
    ("D01E0006", ENROL, PHOTO_REJECTED, "modelling_failed"), ("-999", ENROL, DEVICE_ERROR, None)])
def test_each_return_code_means_what_the_protocol_says(code: str, op: str, reason: str | None,
                                                       problem: str | None) -> None:
    outcome = outcome_of(code, op)
    assert (outcome.reason, outcome.photo_problem) == (reason, problem)
