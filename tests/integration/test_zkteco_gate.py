"""The bridge's ZKTeco PUSH server against a simulated terminal, over real HTTP on 127.0.0.1.

The server is mounted at ``/iclock`` as the bridge mounts it; the terminal polls it as the firmware does; what the
driver learns lands in an in-memory sink standing for the bridge's spool.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from realname_codes.gate_protocol import (
    DEVICE_FULL,
    DIGEST,
    DONE,
    ENROL,
    FAILED,
    NOT_SUPPORTED,
    PHOTO_REJECTED,
    REVOKE,
    SET_TIME,
    ZKTECO_PUSH,
    Ack,
    Command,
    Punch,
    Report,
)
from realname_edge.gate_sims.device import SimulatedDevice, smaller_than
from realname_edge.gate_sims.zkteco import ZkTerminal
from realname_edge.gates.driver import GateConfig
from realname_edge.gates.zkteco import ZkDriver, ZkPushServer

FACES = Path(__file__).resolve().parents[1] / "support" / "faces"
PHOTO = (FACES / "astronaut.jpg").read_bytes()
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


@dataclass
class FakeSink:
    """The bridge's spool, in memory: everything a driver hands over, in order."""

    acks: list[Ack] = field(default_factory=list)
    punches: list[Punch] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self, ack: Ack) -> None:
        self.acknowledged_all([ack])

    def acknowledged_all(self, acks: list[Ack]) -> None:
        with self.lock:
            self.acks.extend(acks)

    def punched(self, punches: list[Punch]) -> None:
        with self.lock:
            self.punches.extend(punches)

    def reported(self, report: Report) -> None:
        with self.lock:
            self.reports.append(report)

    def ack_of(self, command: Command) -> Ack | None:
        with self.lock:
            return next((a for a in self.acks if a.command_id == command.command_id), None)


def eventually(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the condition did not come true in time")


@dataclass
class Bridge:
    server: ZkPushServer
    url: str
    sink: FakeSink
    terminals: list[ZkTerminal] = field(default_factory=list)

    def gate(self, serial: str, **options: Any) -> ZkDriver:
        driver = self.server.driver_for(GateConfig(serial=serial, kind=ZKTECO_PUSH, options=options))
        driver.start(self.sink)
        return driver

    def terminal(self, device: SimulatedDevice, **kwargs: Any) -> ZkTerminal:
        terminal = ZkTerminal(device, self.url, delay_s=kwargs.pop("delay_s", 0.2), **kwargs).start()
        self.terminals.append(terminal)
        return terminal

    def acked(self, command: Command) -> Ack:
        ack: Ack = eventually(lambda: self.sink.ack_of(command))
        return ack


def _serve(server: ZkPushServer) -> Iterator[Bridge]:
    app = DispatcherMiddleware(Response("not here", status=404), {"/iclock": server})
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    bridge = Bridge(server, f"http://127.0.0.1:{http.server_port}/iclock", FakeSink())
    server.on_unknown(bridge.sink)
    try:
        yield bridge
    finally:
        for terminal in bridge.terminals:
            terminal.stop()
        server.close()
        http.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    yield from _serve(ZkPushServer())


@pytest.fixture
def quick_bridge() -> Iterator[Bridge]:
    """A bridge that calls a terminal offline after one silent second (the real threshold is two minutes)."""
    yield from _serve(ZkPushServer(offline_after_s=1.0, report_every_s=0.5))


def serial() -> str:
    return f"ZK{uuid.uuid4().hex[:10].upper()}"


def enrol(device: str, key: str, name: str = "张三", photo: bytes | None = PHOTO, sequence: int = 1) -> Command:
    now = datetime.now(UTC)
    return Command(str(uuid.uuid4()), ENROL, device, sequence, worker_key=key, name=name,
                   face_jpeg=base64.b64encode(photo).decode() if photo is not None else None,
                   face_sha256=hashlib.sha256(photo).hexdigest() if photo is not None else None,
                   valid_from=now.isoformat(), valid_until=(now + timedelta(days=90)).isoformat())


def command(op: str, device: str, key: str | None = None, sequence: int = 2) -> Command:
    return Command(str(uuid.uuid4()), op, device, sequence, worker_key=key)


def test_a_configured_terminal_gets_its_options_at_the_handshake(bridge: Bridge) -> None:
    sn = serial()
    bridge.gate(sn, delay=15)
    answer = requests.get(f"{bridge.url}/cdata", params={"SN": sn, "options": "all", "pushver": "2.4.1",
                                                          "language": "83"}, timeout=5)
    assert answer.status_code == 200
    lines = answer.text.splitlines()
    assert lines[0] == f"GET OPTION FROM: {sn}"
    assert {"ATTLOGStamp=0", "Delay=15", "TimeZone=8", "Realtime=1"} <= set(lines)
    assert "Date" in answer.headers  # the terminal sets its clock from it


def test_an_enrolled_worker_is_on_the_terminal_with_the_name_and_face_sent_and_the_enrol_is_done(
        bridge: Bridge) -> None:
    sn = serial()
    bridge.gate(sn).submit(wang := enrol(sn, "1001", name="王小二"))
    device = SimulatedDevice(sn)
    terminal = bridge.terminal(device)

    ack = bridge.acked(wang)
    assert (ack.outcome, ack.op, ack.worker_key, ack.sequence) == (DONE, ENROL, "1001", 1)
    assert device.people["1001"].name == "王小二"
    assert device.people["1001"].face_sha256 == PHOTO_SHA
    assert terminal.executed == ["DATA UPDATE USERINFO PIN=1001", "DATA UPDATE BIOPHOTO PIN=1001"]


def test_names_go_to_a_chinese_terminal_in_gb2312(bridge: Bridge) -> None:
    sn = serial()
    bridge.gate(sn).submit(enrol(sn, "1002", name="李四"))
    requests.get(f"{bridge.url}/cdata", params={"SN": sn, "options": "all", "language": "83"}, timeout=5)
    answer = requests.get(f"{bridge.url}/getrequest", params={"SN": sn}, timeout=5)
    assert "Name=李四".encode("gb2312") in answer.content
    assert "李四".encode() not in answer.content


def test_a_photo_the_terminal_finds_not_sharp_is_rejected_as_not_sharp(bridge: Bridge) -> None:
    sn = serial()
    device = SimulatedDevice(sn)
    device.reject_photos(smaller_than(1000, 1000))  # its model wants more pixels than the photo has: D01E0003
    bridge.gate(sn).submit(zhang := enrol(sn, "1003"))
    bridge.terminal(device)

    ack = bridge.acked(zhang)
    assert (ack.outcome, ack.reason, ack.photo_problem) == (FAILED, PHOTO_REJECTED, "not_sharp")
    assert "D01E0003" in ack.detail
    assert device.people["1003"].face is None


def test_a_full_terminal_refuses_the_enrol_as_device_full_and_the_doctor_says_full(bridge: Bridge) -> None:
    sn = serial()
    device = SimulatedDevice(sn)
    device.fill_up(people_capacity=0)
    driver = bridge.gate(sn)
    driver.submit(zhao := enrol(sn, "1004"))
    bridge.terminal(device)

    ack = bridge.acked(zhao)
    assert (ack.outcome, ack.reason) == (FAILED, DEVICE_FULL)
    assert "-1001" in ack.detail
    assert "full" in [f.code for f in driver.check()]
    assert eventually(lambda: any(r.problem == "full" for r in bridge.sink.reports))


def test_a_revoke_removes_the_worker_and_a_revoke_of_someone_absent_is_done_too(bridge: Bridge) -> None:
    sn = serial()
    driver = bridge.gate(sn)
    device = SimulatedDevice(sn)
    bridge.terminal(device)
    driver.submit(qian := enrol(sn, "1005"))
    bridge.acked(qian)

    driver.submit(leaving := command(REVOKE, sn, "1005"))
    driver.submit(never_there := command(REVOKE, sn, "7777"))
    assert (bridge.acked(leaving).outcome, bridge.acked(never_there).outcome) == (DONE, DONE)
    assert "1005" not in device.people


def test_a_digest_answers_who_is_on_the_terminal_with_their_face_hashes(bridge: Bridge) -> None:
    sn = serial()
    driver = bridge.gate(sn)
    bridge.terminal(SimulatedDevice(sn))
    driver.submit(with_face := enrol(sn, "1006"))
    driver.submit(without_face := enrol(sn, "1007", photo=None))
    bridge.acked(with_face), bridge.acked(without_face)

    driver.submit(digest := command(DIGEST, sn))
    ack = bridge.acked(digest)
    assert ack.outcome == DONE
    assert [list(p) for p in ack.people] == [["1006", PHOTO_SHA], ["1007", ""]]


def test_setting_the_time_is_not_supported_by_push(bridge: Bridge) -> None:
    sn = serial()
    bridge.gate(sn).submit(set_time := Command(str(uuid.uuid4()), SET_TIME, sn, time=datetime.now(UTC).isoformat()))
    assert (bridge.acked(set_time).outcome, bridge.acked(set_time).reason) == (FAILED, NOT_SUPPORTED)


def test_an_unknown_terminal_is_refused_and_reported_once_however_often_it_calls(bridge: Bridge) -> None:
    sn = serial()
    stranger = SimulatedDevice(sn)
    terminal = bridge.terminal(stranger, delay_s=0.05)
    terminal.punch("1008")

    eventually(lambda: len(terminal.handshakes) >= 5)
    assert set(terminal.handshakes) == {403}
    assert terminal.answers == []  # refused at the handshake, it never uploads
    unknown = [r for r in bridge.sink.reports if r.device == sn]
    assert len(unknown) == 1
    assert (unknown[0].known, unknown[0].kind) == (False, ZKTECO_PUSH)
    assert bridge.sink.punches == []


def test_every_record_of_batches_sent_ten_times_is_taken_and_answered_ok_n(bridge: Bridge) -> None:
    sn = serial()
    bridge.gate(sn)
    device = SimulatedDevice(sn)
    terminal = bridge.terminal(device, resend_times=10)
    eventually(lambda: terminal.handshakes)
    device.go_offline()  # three recognitions while unplugged: one batch of three when it is back
    for key, status in (("1009", 0), ("1010", 0), ("1009", 1)):
        terminal.punch(key, status)
        time.sleep(1.1)  # a punch per second: their times differ
    device.come_back()

    eventually(lambda: len(bridge.sink.punches) == 30)
    assert terminal.answers == ["OK:3"] * 10
    keys = {p.event_key for p in bridge.sink.punches}
    assert len(keys) == 3  # ten copies of each record, one event each: the platform keeps one
    taken = {(p.worker_key, p.direction, p.verified_by) for p in bridge.sink.punches}
    assert taken == {("1009", "in", "face"), ("1010", "in", "face"), ("1009", "out", "face")}
    assert all(p.at.endswith("+08:00") and p.event_key == f"{sn}:{p.worker_key}:{p.at}" for p in bridge.sink.punches)


def test_malformed_attlog_lines_are_skipped_and_the_good_ones_counted(bridge: Bridge) -> None:
    sn = serial()
    bridge.gate(sn)
    body = "1011\t2026-12-05 08:01:02\t0\t15\t0\t0\nnot a record\n1012\t2026-13-45 99:00:00\t0\t15\n"
    answer = requests.post(f"{bridge.url}/cdata", params={"SN": sn, "table": "ATTLOG", "Stamp": "3"},
                           data=body.encode(), timeout=5)
    assert answer.text == "OK:1"
    assert [(p.worker_key, p.at) for p in bridge.sink.punches] == [("1011", "2026-12-05T08:01:02+08:00")]


def test_a_terminal_that_stops_polling_is_reported_offline_and_online_again_when_back(quick_bridge: Bridge) -> None:
    sn = serial()
    quick_bridge.gate(sn)
    device = SimulatedDevice(sn, firmware="ZAM180-NF-Ver6.2.4")
    terminal = quick_bridge.terminal(device)
    reports = quick_bridge.sink.reports
    first = eventually(lambda: next((r for r in reports if r.device == sn and r.firmware), None))  # its INFO
    assert (first.online, first.firmware, first.people, first.faces) == (True, "ZAM180-NF-Ver6.2.4", 0, 0)

    device.go_offline()
    terminal.punch("1013")  # cached on the terminal meanwhile
    eventually(lambda: not reports[-1].online)
    assert not quick_bridge.sink.punches

    device.come_back()
    eventually(lambda: reports[-1].online)
    eventually(lambda: [p.worker_key for p in quick_bridge.sink.punches] == ["1013"])


def test_a_terminal_never_heard_from_is_not_polling_and_a_drifting_clock_is_named(quick_bridge: Bridge) -> None:
    silent, drifting = serial(), serial()
    assert [f.code for f in quick_bridge.gate(silent).check()] == ["not_polling"]
    driver = quick_bridge.gate(drifting)
    device = SimulatedDevice(drifting)
    device.drift(300)
    terminal = quick_bridge.terminal(device)
    eventually(lambda: driver.check() == [])
    time.sleep(0.5)  # polling for a while: its next lone record is a real-time one
    terminal.punch("1014")
    eventually(lambda: "clock_off" in [f.code for f in driver.check()])


def test_a_revoke_queued_after_a_hundred_enrols_reaches_the_terminal_first(bridge: Bridge) -> None:
    sn = serial()
    driver = bridge.gate(sn)
    device = SimulatedDevice(sn)
    terminal = bridge.terminal(device)
    driver.submit(leaver := enrol(sn, "2000"))
    bridge.acked(leaver)

    device.go_offline()  # no poll while the platform queues
    newcomers = [enrol(sn, str(3000 + i)) for i in range(100)]
    for newcomer in newcomers:
        driver.submit(newcomer)
    driver.submit(leaving := command(REVOKE, sn, "2000"))
    before = len(terminal.executed)
    device.come_back()

    assert bridge.acked(leaving).outcome == DONE
    assert terminal.executed[before] == "DATA DELETE USERINFO PIN=2000"
    assert all(bridge.acked(newcomer).outcome == DONE for newcomer in newcomers)
    assert len(device.people) == 100
