"""Gate health from gate.reported (R23), with a clock the test controls: contact, capacity, firmware, offline after
120 s, coming back online and a clock off told to the whitelist engine once, unknown devices seen by a bridge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from realname_attendance.health import gate_reported
from realname_attendance.models import Gate
from realname_attendance.queries import gate_view
from realname_codes.gate_protocol import REPORTED
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.timeutil import utcnow
from tests.support.devices import Site, build_site
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def site(module_stack: Stack) -> Iterator[Site]:
    yield build_site(module_stack)


class Clock:
    def __init__(self, ago: float = 0) -> None:
        self.now = utcnow() - timedelta(seconds=ago)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def deliver(site: Site, sender: str, clock: Clock, serial: str, **fields: Any) -> None:
    data = {"device": serial, "contact_at": clock.now.isoformat(), **fields}
    with site.stack.db("attendance").transaction() as session:
        gate_reported(session, Envelope(type=REPORTED, source="gate", data=data, sender=sender), clock)


def health(site: Site, gate_id: str, at: datetime) -> dict[str, Any]:
    with site.stack.db("attendance").transaction() as session:
        gate = session.get(Gate, gate_id)
        assert gate is not None
        return dict(gate_view(gate, at)["health"])


def online_events(site: Site, gate_id: str) -> int:
    return [e["gate_id"] for e in site.events("device.online")].count(gate_id)


def test_a_report_updates_the_gates_health(site: Site) -> None:
    gate, clock = site.gate(), Clock()
    deliver(site, gate["account"], clock, gate["serial"], model="DS-K1T671MF", firmware="V3.2.30", people=120,
            faces=118, people_capacity=3000, faces_capacity=3000, clock_offset_s=2.5)
    seen = health(site, gate["id"], clock.now)
    assert seen == {**seen, "online": True, "model": "DS-K1T671MF", "firmware": "V3.2.30", "people": 120,
                    "faces": 118, "people_capacity": 3000, "faces_capacity": 3000, "clock_offset_s": 2.5,
                    "clock_off": False, "problem": None}
    assert seen["last_contact_at"] == clock.now


def test_a_silent_gate_is_offline_after_two_minutes_and_its_return_is_told(site: Site) -> None:
    gate, clock = site.gate(), Clock(ago=600)  # the list reads the true time: the story is ten minutes old
    deliver(site, gate["account"], clock, gate["serial"])
    assert online_events(site, gate["id"]) == 1
    clock.advance(30)
    deliver(site, gate["account"], clock, gate["serial"])
    assert online_events(site, gate["id"]) == 1  # it never left
    assert health(site, gate["id"], clock.now + timedelta(seconds=120))["online"] is True
    clock.advance(121)
    assert health(site, gate["id"], clock.now)["online"] is False
    listed = site.manager.get(f"/projects/{site.project}/gates", query_string={"online": "true", "limit": "500"})
    assert gate["id"] not in {g["id"] for g in (listed.json or {})["items"]}
    deliver(site, gate["account"], clock, gate["serial"])
    assert online_events(site, gate["id"]) == 2
    deliver(site, gate["account"], Clock(), gate["serial"])
    listed = site.manager.get(f"/projects/{site.project}/gates", query_string={"online": "true", "limit": "500"})
    assert gate["id"] in {g["id"] for g in (listed.json or {})["items"]}


def test_a_gate_its_bridge_lost_is_offline_and_comes_back_when_found(site: Site) -> None:
    bridge = site.bridge()
    gate, clock = site.gate("hikvision-isapi", bridge_id=bridge["id"]), Clock()
    deliver(site, bridge["account"], clock, gate["serial"], online=False, problem="unreachable")
    assert health(site, gate["id"], clock.now)["online"] is False
    assert health(site, gate["id"], clock.now)["problem"] == "unreachable"
    assert online_events(site, gate["id"]) == 0
    clock.advance(5)
    deliver(site, bridge["account"], clock, gate["serial"], online=True)
    assert online_events(site, gate["id"]) == 1 and health(site, gate["id"], clock.now)["problem"] is None


def test_a_clock_off_by_more_than_a_minute_is_flagged_and_told_once(site: Site) -> None:
    gate, clock = site.gate(), Clock()
    for _ in range(2):
        deliver(site, gate["account"], clock, gate["serial"], clock_offset_s=-95.0)
    assert health(site, gate["id"], clock.now)["clock_off"] is True
    assert [e for e in site.events("device.clock_off") if e["gate_id"] == gate["id"]] == [
        {"gate_id": gate["id"], "project_id": site.project, "offset_s": -95.0}]
    flagged = site.manager.get(f"/projects/{site.project}/gates", query_string={"clock_off": "true", "limit": "500"})
    assert gate["id"] in {g["id"] for g in (flagged.json or {})["items"]}
    deliver(site, gate["account"], clock, gate["serial"], clock_offset_s=1.0)
    assert health(site, gate["id"], clock.now)["clock_off"] is False


def test_a_report_older_than_what_is_known_changes_nothing(site: Site) -> None:
    gate, clock = site.gate(), Clock()
    deliver(site, gate["account"], clock, gate["serial"], firmware="V2")
    late = Clock()
    late.now = clock.now - timedelta(seconds=40)
    deliver(site, gate["account"], late, gate["serial"], firmware="V1")
    assert health(site, gate["id"], clock.now)["firmware"] == "V2"


def test_an_unknown_device_seen_by_a_bridge_is_recorded_and_audited_once_a_day(site: Site) -> None:
    bridge, clock = site.bridge(), Clock()
    for _ in range(3):
        deliver(site, bridge["account"], clock, "ZK-STRANGER", known=False)
    sightings = (site.manager.get(f"/bridges/{bridge['id']}").json or {})["unknown_devices"]
    assert [(s["serial"], s["times"]) for s in sightings] == [("ZK-STRANGER", 3)]
    clock.advance(24 * 3600)
    deliver(site, bridge["account"], clock, "ZK-STRANGER", known=False)
    audited = [a for a in site.audits("device.sighted") if a["details"]["bridge_id"] == bridge["id"]]
    assert len(audited) == 2


@pytest.mark.parametrize("who", ["a native gate", "nobody", "an unknown account"])
def test_an_unknown_device_reported_by_anyone_but_a_bridge_is_refused(site: Site, who: str) -> None:
    sender = {"a native gate": site.gate()["account"], "nobody": None, "an unknown account": "mallory"}[who]
    with pytest.raises(PoisonMessage):
        deliver(site, sender, Clock(), "ZK-STRANGER", known=False)


@pytest.mark.parametrize("fields", [{"people": "many"}, {"clock_offset_s": "late"}, {"firmware": 3},
                                    {"people": -1}, {"device": ""}])
def test_a_malformed_report_is_refused(site: Site, fields: dict[str, Any]) -> None:
    gate = site.gate()
    with pytest.raises(PoisonMessage):
        deliver(site, gate["account"], Clock(), gate["serial"], **fields)
