"""The site bridge's ISAPI driver against a simulated Hikvision terminal, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from realname_codes import gate_protocol as gp
from realname_edge.gate_sims.device import SimulatedDevice, refuse_hashes
from realname_edge.gate_sims.isapi import IsapiTerminal
from realname_edge.gates.driver import GateConfig
from realname_edge.gates.isapi import IsapiDriver, IsapiListener
from realname_edge.gates.isapi.client import IsapiClient
from tests.support.infra import free_port
from tests.support.isapi_site import FakeSink, ListenerHost, eventually

FACES = Path(__file__).resolve().parent.parent / "support" / "faces"
PHOTO = (FACES / "astronaut.jpg").read_bytes()
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()
PASSWORD = "Gate-pass-1"
SERIAL = "DS-K1T671-0001"


@pytest.fixture
def device() -> SimulatedDevice:
    return SimulatedDevice(SERIAL, model="DS-K1T671MF", firmware="V3.2.30 build 230101")


@pytest.fixture
def terminal(device: SimulatedDevice) -> Iterator[IsapiTerminal]:
    sim = IsapiTerminal(device, password=PASSWORD).start()
    yield sim
    sim.stop()


@pytest.fixture
def host() -> Iterator[ListenerHost]:
    listening = ListenerHost(IsapiListener(), free_port()).up()
    yield listening
    listening.down()


Start = Callable[..., tuple[IsapiDriver, FakeSink]]


@pytest.fixture
def start_driver(terminal: IsapiTerminal, host: ListenerHost) -> Iterator[Start]:
    started: list[IsapiDriver] = []

    def start(*, password: str = PASSWORD, direction: str = gp.BOTH, **options: object) -> tuple[IsapiDriver, FakeSink]:
        config = GateConfig(SERIAL, gp.HIKVISION_ISAPI, direction, terminal.url, "admin", password,
                            {"listen_url": host.url, "timeout": 2.0, "poll_s": 0.2, **options})
        driver, sink = IsapiDriver(config, host.listener, report_every_s=30), FakeSink()
        driver.start(sink)
        started.append(driver)
        return driver, sink

    yield start
    for driver in started:
        driver.stop()


def enrol(key: str, *, photo: bytes | None = PHOTO, name: str = "张三", until: str | None = None) -> gp.Command:
    return gp.Command(str(uuid.uuid4()), gp.ENROL, SERIAL, 1, key, name,
                      base64.b64encode(photo).decode() if photo else None,
                      hashlib.sha256(photo).hexdigest() if photo else None, "2026-01-01T00:00:00+08:00", until)


def revoke(key: str) -> gp.Command:
    return gp.Command(str(uuid.uuid4()), gp.REVOKE, SERIAL, 2, key)


def test_an_enrolled_worker_is_on_the_device_with_their_face(start_driver: Start, device: SimulatedDevice) -> None:
    driver, sink = start_driver()
    command = enrol("1001", until="2026-12-31T18:00:00+08:00")
    driver.submit(command)

    ack = sink.ack_of(command.command_id)
    assert (ack.outcome, ack.worker_key, ack.sequence) == (gp.DONE, "1001", 1)
    assert device.listing() == {"1001": PHOTO_SHA}
    assert device.people["1001"].valid_until == "2026-12-31T18:00:00"  # the end of the right to enter, device time


def test_a_person_already_on_the_device_counts_as_done_and_is_brought_up_to_date(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    terminal.unsupport("/ISAPI/AccessControl/UserInfo/SetUp")  # an older firmware: Record, then Modify
    device.put_person("1002", "旧名字")
    driver, sink = start_driver()
    command = enrol("1002", name="李四")
    driver.submit(command)

    assert sink.ack_of(command.command_id).outcome == gp.DONE
    assert device.people["1002"].name == "李四"
    assert device.listing()["1002"] == PHOTO_SHA


def test_a_face_before_its_person_is_refused_so_the_driver_puts_the_person_first(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    client = IsapiClient(terminal.url, "admin", PASSWORD)
    face_first = client.call("POST", "/ISAPI/Intelligent/FDLib/FaceDataRecord", files={
        "FaceDataRecord": (None, '{"faceLibType":"blackFD","FDID":"1","FPID":"1003"}', "application/json"),
        "FaceImage": ("face.jpg", PHOTO, "image/jpeg")})
    assert (face_first.status, (face_first.body or {}).get("subStatusCode")) == (400, "employeeNoNotExist")

    driver, sink = start_driver()
    command = enrol("1003")
    driver.submit(command)
    assert sink.ack_of(command.command_id).outcome == gp.DONE
    assert device.listing() == {"1003": PHOTO_SHA}


def test_a_firmware_without_fdsetup_gets_the_face_through_facedatarecord(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    terminal.unsupport("/ISAPI/Intelligent/FDLib/FDSetUp")
    device.put_person("1004", "王五")
    device.put_face("1004", b"an older photo")
    driver, sink = start_driver()
    command = enrol("1004")
    driver.submit(command)

    assert sink.ack_of(command.command_id).outcome == gp.DONE
    assert device.listing() == {"1004": PHOTO_SHA}  # the older face was replaced


def test_a_photo_the_device_model_refuses_is_photo_rejected_with_the_devices_words(
        start_driver: Start, device: SimulatedDevice) -> None:
    device.reject_photos(refuse_hashes({PHOTO_SHA}))
    driver, sink = start_driver()
    command = enrol("1005")
    driver.submit(command)

    ack = sink.ack_of(command.command_id)
    assert (ack.outcome, ack.reason, ack.photo_problem) == (gp.FAILED, gp.PHOTO_REJECTED, "modelling_failed")
    assert "faceModelingFailed" in ack.detail


def test_a_full_device_answers_device_full_and_the_doctor_says_full(
        start_driver: Start, device: SimulatedDevice) -> None:
    device.put_person("1", "占位")
    device.fill_up()
    driver, sink = start_driver()
    command = enrol("1006")
    driver.submit(command)

    ack = sink.ack_of(command.command_id)
    assert (ack.outcome, ack.reason) == (gp.FAILED, gp.DEVICE_FULL)
    assert [f.code for f in driver.check()] == ["full"]


def test_an_offline_device_answers_device_offline_and_the_retried_command_succeeds_when_it_is_back(
        start_driver: Start, device: SimulatedDevice) -> None:
    driver, sink = start_driver()
    device.go_offline()
    command = enrol("1007")
    assert eventually(lambda: [f.code for f in driver.check()] == ["unreachable"])
    driver.submit(command)
    ack = sink.ack_of(command.command_id)
    assert (ack.outcome, ack.reason) == (gp.FAILED, gp.DEVICE_OFFLINE)
    assert ack.reason in gp.TRANSIENT
    assert eventually(lambda: any(not r.online for r in list(sink.reports)))

    device.come_back()
    assert eventually(lambda: driver.check() == [])
    retried = gp.Command(str(uuid.uuid4()), **{k: getattr(command, k) for k in ("op", "device", "sequence",
                         "worker_key", "name", "face_jpeg", "face_sha256", "valid_from", "valid_until")})
    driver.submit(retried)
    assert sink.ack_of(retried.command_id).outcome == gp.DONE
    assert device.listing() == {"1007": PHOTO_SHA}
    assert eventually(lambda: sink.reports[-1].online)


def test_a_revoke_waits_for_the_asynchronous_delete_to_finish(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    terminal.state.delete_delay_s = 0.6
    device.put_person("1008", "赵六")
    device.put_face("1008", PHOTO)
    driver, sink = start_driver()
    command = revoke("1008")
    driver.submit(command)

    assert sink.ack_of(command.command_id).outcome == gp.DONE
    assert "1008" not in device.listing()  # gone by the time we say done: the driver polled DeleteProcess


def test_a_revoke_of_someone_not_on_the_device_is_done(start_driver: Start) -> None:
    driver, sink = start_driver()
    command = revoke("9999")
    driver.submit(command)
    assert sink.ack_of(command.command_id).outcome == gp.DONE


def test_a_digest_lists_every_person_with_the_face_the_bridge_put_or_nothing_known(
        start_driver: Start, device: SimulatedDevice) -> None:
    for n in range(45):  # more than one page of UserInfo/Search
        device.put_person(f"2{n:03d}", "某人")
    device.put_face("2000", b"a face the bridge did not put")
    driver, sink = start_driver()
    ours = enrol("1009")
    driver.submit(ours)
    sink.ack_of(ours.command_id)
    command = gp.Command(str(uuid.uuid4()), gp.DIGEST, SERIAL)
    driver.submit(command)

    ack = sink.ack_of(command.command_id)
    listed = gp.Digest.of(ack.people).people
    assert ack.outcome == gp.DONE and len(listed) == 46
    assert listed["1009"] == PHOTO_SHA
    assert listed["2000"] == "" and listed["2044"] == ""
    assert [p[0] for p in ack.people] == sorted(listed)


def test_set_time_fixes_a_drifting_clock(start_driver: Start, device: SimulatedDevice) -> None:
    device.drift(600)
    driver, sink = start_driver()
    assert [f.code for f in driver.check()] == ["clock_off"]
    assert eventually(lambda: any(r.problem == "clock_off" for r in list(sink.reports)))

    command = gp.Command(str(uuid.uuid4()), gp.SET_TIME, SERIAL, time=gp.now_iso())
    driver.submit(command)
    assert sink.ack_of(command.command_id).outcome == gp.DONE
    assert abs(device.clock_drift_s) < 2
    assert driver.check() == []


def test_a_wrong_password_is_credentials_refused(start_driver: Start) -> None:
    driver, sink = start_driver(password="not-the-password")
    assert [f.code for f in driver.check()] == ["credentials_refused"]
    command = enrol("1010")
    driver.submit(command)
    ack = sink.ack_of(command.command_id)
    assert (ack.outcome, ack.reason) == (gp.FAILED, gp.DEVICE_ERROR) and "401" in ack.detail
    assert eventually(lambda: any(r.problem == "credentials_refused" for r in list(sink.reports)))


def test_an_old_firmware_is_named_with_the_minimum(start_driver: Start, device: SimulatedDevice) -> None:
    device.firmware = "V1.4.0 build 180101"
    driver, _ = start_driver()
    [finding] = driver.check()
    assert finding.code == "unsupported_firmware" and "V2.0.0" in finding.message


def test_recognitions_become_punches_and_the_serial_number_wraps(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    _, sink = start_driver()
    assert eventually(lambda: terminal.state.host.target.endswith(f"/isapi/events/{SERIAL}"))
    device.next_serial = 100_000
    terminal.punch("1011")
    terminal.punch("1012", attendance_status="checkOut")

    assert eventually(lambda: len(sink.punches) == 2)
    first, second = sink.punches
    assert first.event_key.startswith(f"{SERIAL}:100000:") and second.event_key.startswith(f"{SERIAL}:1:")
    assert (first.worker_key, first.direction, first.verified_by) == ("1011", gp.IN, "face")
    assert (second.worker_key, second.direction) == ("1012", gp.OUT)
    assert first.at.endswith("+08:00") and first.photo_jpeg is None


def test_punches_are_cached_while_the_listener_is_down_and_delivered_in_order_after(
        start_driver: Start, terminal: IsapiTerminal, host: ListenerHost) -> None:
    _, sink = start_driver()
    assert eventually(lambda: terminal.state.host.target.endswith(f"/isapi/events/{SERIAL}"))
    host.down()
    for key in ("1013", "1014", "1015"):
        terminal.punch(key)
    assert not eventually(lambda: bool(sink.punches), timeout=0.5)
    assert terminal.events_waiting == 3

    host.up()
    assert eventually(lambda: len(sink.punches) == 3)
    assert [p.worker_key for p in sink.punches] == ["1013", "1014", "1015"]
    assert terminal.events_waiting == 0


def test_a_punch_the_spool_does_not_take_is_not_answered_200_and_comes_again(
        start_driver: Start, terminal: IsapiTerminal) -> None:
    _, sink = start_driver()
    assert eventually(lambda: terminal.state.host.target.endswith(f"/isapi/events/{SERIAL}"))
    sink.refuse_punches = True
    terminal.punch("1016")
    assert eventually(lambda: terminal.events_waiting == 1, timeout=0.5)
    sink.refuse_punches = False
    assert eventually(lambda: [p.worker_key for p in sink.punches] == ["1016"])


def test_a_device_the_bridge_does_not_know_is_answered_404_and_reported(start_driver: Start,
                                                                        host: ListenerHost) -> None:
    import requests

    _, sink = start_driver()
    answer = requests.post(f"{host.url}/DS-K1T-STRANGER", files={"Picture": ("p.jpg", b"x", "image/jpeg")}, timeout=5)
    assert answer.status_code == 404
    assert any(r.device == "DS-K1T-STRANGER" and not r.known for r in sink.reports)


def test_the_driver_points_the_listening_host_back_at_the_bridge(start_driver: Start,
                                                                 terminal: IsapiTerminal) -> None:
    start_driver()
    assert eventually(lambda: terminal.state.host.target.endswith(f"/isapi/events/{SERIAL}"))
    terminal.state.host.url = "/somewhere/else"  # someone reconfigured the device
    assert eventually(lambda: terminal.state.host.url == f"/isapi/events/{SERIAL}")


def test_a_revoke_queued_behind_200_enrols_is_done_before_them(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    device.put_person("leaver", "离场者")
    terminal.latency_s = 0.005
    driver, sink = start_driver()
    enrols = [enrol(f"3{n:03d}", photo=None) for n in range(200)]
    for command in enrols:
        driver.submit(command)
    leave = revoke("leaver")
    driver.submit(leave)

    assert eventually(lambda: len(sink.acks) == 201, timeout=60)
    order = [a.command_id for a in sink.acks]
    assert order.index(leave.command_id) <= 5  # at most the enrols already running when it came
    assert all(a.outcome == gp.DONE for a in sink.acks)
    assert "leaver" not in device.listing() and len(device.listing()) == 200


def test_leavers_queued_together_leave_in_one_delete_call_each_acknowledged(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    for n in range(60):
        device.put_person(f"5{n:03d}", f"离场者{n}")
    terminal.latency_s = 0.02
    driver, sink = start_driver()
    busy = enrol("6000", photo=None)  # the driver's worker is busy with it while the leavers queue up
    leavers = [revoke(f"5{n:03d}") for n in range(60)]
    for command in (busy, *leavers):
        driver.submit(command)

    assert eventually(lambda: len(sink.acks) == 61, timeout=60)
    assert all(a.outcome == gp.DONE for a in sink.acks)
    assert set(device.listing()) == {"6000"}
    assert terminal.calls["PUT", "/ISAPI/AccessControl/UserInfoDetail/Delete"] <= 3  # 60 leavers, ≤ 50 a call


def test_an_enrol_without_a_worker_key_is_bad_parameters_and_changes_nothing(
        start_driver: Start, device: SimulatedDevice) -> None:
    driver, sink = start_driver()
    command = gp.Command(str(uuid.uuid4()), gp.ENROL, SERIAL, 1, None, "无编号")
    driver.submit(command)
    ack = sink.ack_of(command.command_id)
    assert (ack.outcome, ack.reason) == (gp.FAILED, gp.BAD_PARAMETERS)
    assert device.listing() == {}


def test_a_command_for_another_device_is_unknown_device(start_driver: Start) -> None:
    driver, sink = start_driver()
    command = gp.Command(str(uuid.uuid4()), gp.REVOKE, "SOMEONE-ELSE", 1, "1001")
    driver.submit(command)
    assert sink.ack_of(command.command_id).reason == gp.UNKNOWN_DEVICE


def test_a_recognition_that_was_never_posted_is_fetched_from_the_devices_memory(
        start_driver: Start, terminal: IsapiTerminal, device: SimulatedDevice) -> None:
    _, sink = start_driver()
    assert eventually(lambda: terminal.state.host.target.endswith(f"/isapi/events/{SERIAL}"))
    terminal.punch("1017")
    assert eventually(lambda: len(sink.punches) == 1)
    lost = device.recognise("1018")  # recorded, but its upload never happened
    terminal.punch("1019")  # its frontSerialNo names the lost one: a gap

    assert eventually(lambda: {p.worker_key for p in sink.punches} == {"1017", "1018", "1019"})
    fetched = next(p for p in sink.punches if p.worker_key == "1018")
    assert fetched.event_key.startswith(f"{SERIAL}:{lost.serial_no}:")
