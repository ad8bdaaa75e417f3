"""What the bridge tells of a polling ZKTeco terminal's health, on a clock the test turns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from realname_codes.gate_protocol import Punch
from realname_edge.gates.zkteco.health import DeviceHealth
from realname_edge.gates.zkteco.lines import DeviceInfo

INFO = DeviceInfo("Ver 8.0.4", 12, 10)


def punch_at(moment: datetime) -> Punch:
    at = moment.astimezone(UTC).isoformat()
    return Punch("SN1", "1", at, f"SN1:1:{at}")


def test_a_polling_terminal_is_reported_on_change_and_every_period_not_on_every_poll() -> None:
    health = DeviceHealth("SN1")
    health.contact(0.0, INFO, steady_within_s=25)
    first = health.due(0.0, every_s=30)
    assert first is not None
    assert (first.online, first.firmware, first.people, first.faces) == (True, "Ver 8.0.4", 12, 10)
    health.contact(10.0, INFO, steady_within_s=25)
    assert health.due(10.0, every_s=30) is None
    health.contact(20.0, DeviceInfo("Ver 8.0.4", 13, 10), steady_within_s=25)
    changed = health.due(20.0, every_s=30)
    assert changed is not None and changed.people == 13
    assert health.due(51.0, every_s=30) is not None


def test_silence_past_the_threshold_is_one_offline_report_and_the_doctor_says_not_polling() -> None:
    health = DeviceHealth("SN1")
    health.contact(0.0, INFO, steady_within_s=25)
    assert health.lost(119.0, offline_after_s=120) is None
    lost = health.lost(121.0, offline_after_s=120)
    assert lost is not None and (lost.online, lost.problem) == (False, "not_polling")
    assert health.lost(200.0, offline_after_s=120) is None
    assert [f.code for f in health.findings(200.0, offline_after_s=120)] == ["not_polling"]
    assert not health.contact(201.0, INFO, steady_within_s=25)  # back from an outage: not steady yet


def test_a_lone_real_time_record_tells_the_clock_offset_beyond_tolerance_as_clock_off() -> None:
    health = DeviceHealth("SN1")
    health.contact(0.0, INFO, steady_within_s=25)
    health.clock_from([punch_at(datetime.now(UTC) + timedelta(seconds=300))])
    assert [f.code for f in health.findings(1.0, offline_after_s=120)] == ["clock_off"]
    assert health.report.problem == "clock_off"
    health.clock_from([punch_at(datetime.now(UTC))])
    assert health.findings(1.0, offline_after_s=120) == []


def test_a_firmware_older_than_push_2_4_is_unsupported() -> None:
    health = DeviceHealth("SN1", push_version="2.2.14")
    health.contact(0.0, INFO, steady_within_s=25)
    assert [f.code for f in health.findings(1.0, offline_after_s=120)] == ["unsupported_firmware"]


def test_full_lasts_until_an_enrol_or_revoke_succeeds() -> None:
    health = DeviceHealth("SN1")
    health.contact(0.0, INFO, steady_within_s=25)
    health.note_outcome("device_full", done=False)
    assert [f.code for f in health.findings(1.0, offline_after_s=120)] == ["full"]
    health.note_outcome(None, done=True)
    assert health.findings(1.0, offline_after_s=120) == []
