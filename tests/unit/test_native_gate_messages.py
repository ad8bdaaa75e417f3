"""What a native gate says about itself: a report of its health and each recognition as a punch."""

from __future__ import annotations

from datetime import datetime

from realname_codes import gate_protocol as gp
from realname_edge.gate_sims import device as dev
from realname_edge.gate_sims.native_messages import health_of, punch_of, report_of


def test_its_report_tells_what_it_holds_what_it_can_hold_and_how_far_its_clock_is_off() -> None:
    device = dev.SimulatedDevice("NATIVE-1", model="RN-A1", firmware="V2.1.0", people_capacity=500,
                                 faces_capacity=400)
    device.put_person("1", "张三")
    device.put_person("2", "李四")
    device.put_face("2", b"\xff\xd8 a face")
    device.drift(-75.04)

    report = report_of(device, health_of(device))

    assert (report.device, report.kind, report.model, report.firmware, report.online) == (
        "NATIVE-1", gp.NATIVE, "RN-A1", "V2.1.0", True)
    assert (report.people, report.faces, report.people_capacity, report.faces_capacity) == (2, 1, 500, 400)
    assert report.clock_offset_s == -75.0
    assert datetime.fromisoformat(report.contact_at).tzinfo is not None
    assert gp.decode(gp.encode(report, source="t"))[1] == report


def test_its_health_changes_with_what_it_holds_but_not_with_the_milliseconds_a_set_time_leaves() -> None:
    device = dev.SimulatedDevice("NATIVE-1")
    before = health_of(device)
    device.clock_drift_s = 0.004
    assert health_of(device) == before
    device.put_person("1", "张三")
    assert health_of(device) != before


def test_punches_keep_one_key_each_even_when_the_event_numbers_wrap() -> None:
    device = dev.SimulatedDevice("NATIVE-1")
    device.next_serial = dev.SERIAL_WRAP
    punches = [punch_of(device, device.recognise("1001")) for _ in range(2)]
    device.next_serial, device.clock_drift_s = dev.SERIAL_WRAP, 1  # round again, later
    punches.append(punch_of(device, device.recognise("1001")))

    assert len({p.event_key for p in punches}) == 3
    assert [p.event_key.split(":")[1] for p in punches] == ["100000", "1", "100000"]
    first = punches[0]
    assert (first.device, first.worker_key, first.verified_by, first.direction) == ("NATIVE-1", "1001", "face", None)
    assert datetime.fromisoformat(first.at) == device.events[0].at
