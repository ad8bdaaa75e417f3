"""Face gates on a building site, end to end, in distributed mode (R23, R26): the platform keeps each gate's own list
of people exactly what entry confirmations and exits say, whatever the gates and the network do.

One site for the module (``./realname up --distributed``; a native gate on AMQP; a site bridge process driving a
Hikvision ISAPI terminal and a ZKTeco PUSH terminal), every AMQP connection passing a fault proxy. Each test hires
its own crew (a labour company with its own subcontract) and, when it disturbs a gate, puts it right before it
ends, so that every gate holds exactly ``site.expected()`` between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from realname_codes.gate_protocol import DEVICE_FULL, HIKVISION_ISAPI, PHOTO_REJECTED, ZKTECO_PUSH
from realname_edge.gate_sims.device import PHOTO_MODELLING, refuse_hashes
from tests.support.face_photos import face_photo
from tests.support.gate_crews import accept, complete_contract, give_faces, hire, resign, upload_face
from tests.support.gate_devices import SimGate
from tests.support.site_with_gates import Site, open_site
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.e2e
SYNC_S = 90  # generous: two cores run the platform, the bridge, three terminals and the test
# Quicker than production's defaults so that a test waits less: more enrolments in flight per gate, a dispatcher
# that looks again sooner when idle.
SETTINGS = {"REALNAME_ATTENDANCE_GATE_WINDOW": "100", "REALNAME_ATTENDANCE_DISPATCH_IDLE_SECONDS": "0.1"}


@pytest.fixture(scope="module")
def site(module_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(module_stack, tmp_path_factory.mktemp("site"), through_proxy=True,
                   settings=SETTINGS) as opened:
        yield opened


def holds(gate: SimGate, people: dict[str, str]) -> bool:
    """The gate's own list has each of ``people`` (key -> face hash) with exactly that face."""
    listing = gate.listing()
    return all(listing.get(key) == face for key, face in people.items())


def holds_none(gate: SimGate, keys: set[str]) -> bool:
    return not keys & set(gate.listing())


def every_gate_exact(site: Site) -> bool:
    expected = site.expected()
    return all(gate.listing() == expected for gate in site.gates)


def pair(site: Site, gate: SimGate, worker_id: str) -> dict[str, object]:
    [row] = site.pairs(gate_id=gate.id, worker_id=worker_id)
    return row


def test_an_accepted_worker_is_put_on_every_kind_of_gate_and_an_exited_one_taken_off(site: Site) -> None:
    crew = hire(site, 2)
    resigning, staying = crew.workers
    give_faces(crew, crew.workers)
    accept(site, crew, crew.workers)
    keys = site.keys(crew.workers)
    people = {keys[w]: crew.faces[w] for w in crew.workers}
    eventually(lambda: all(holds(g, people) for g in site.gates), timeout=SYNC_S)
    assert {g.kind for g in site.gates} == {"native", HIKVISION_ISAPI, ZKTECO_PUSH}

    resign(crew, [resigning])  # the employment ends: the registry tells assignment, the worker exits (R24, R26)
    eventually(lambda: all(holds_none(g, {keys[resigning]}) for g in site.gates), timeout=SYNC_S)
    assert all(holds(g, {keys[staying]: crew.faces[staying]}) for g in site.gates)

    complete_contract(site, crew)  # the subcontract completed: everyone under it exits
    eventually(lambda: all(holds_none(g, {keys[staying]}) for g in site.gates), timeout=SYNC_S)
    assert every_gate_exact(site)


def test_five_hundred_workers_are_synced_onto_three_gates_and_counted_alike_on_both_sides(site: Site) -> None:
    crew = hire(site, 500)
    give_faces(crew, crew.workers)
    accept(site, crew, crew.workers)
    eventually(lambda: every_gate_exact(site), timeout=150, interval=0.5)
    expected = len(site.expected())
    assert expected >= 500
    for gate in site.gates:
        assert len(gate.listing()) == expected and gate.device.face_count() == expected
        eventually(partial(_settled, site, gate, expected), timeout=SYNC_S)


def _settled(site: Site, gate: SimGate, expected: int) -> dict[str, Any] | None:
    """The platform's count for the gate: ``expected`` wanted on it, and every pair (leavers' too) synced."""
    summary = site.gate_summary(gate)
    counts, wanted = summary["counts"], summary["wanted"]
    return summary if wanted.get("on") == expected and counts.get("synced") == sum(counts.values()) else None


def test_gates_offline_while_fifty_join_and_ten_leave_hold_exactly_the_right_people_when_back(site: Site) -> None:
    crew = hire(site, 60)
    leavers, joiners = crew.workers[:10], crew.workers[10:]
    give_faces(crew, crew.workers)
    accept(site, crew, leavers)
    keys = site.keys(crew.workers)
    eventually(lambda: all(holds(g, {keys[w]: crew.faces[w] for w in leavers}) for g in site.gates), timeout=SYNC_S)

    for gate in site.gates:
        gate.device.go_offline()
    try:
        accept(site, crew, joiners)
        resign(crew, leavers)
        # the platform has acted on both while the gates were away: the leavers wanted off, the joiners on
        eventually(lambda: all(_wanted(site, g, leavers, "off") and _wanted(site, g, joiners, "on")
                               for g in site.gates), timeout=SYNC_S)
        assert all(holds(g, {keys[w]: crew.faces[w] for w in leavers}) for g in site.gates)  # nothing reached them
    finally:
        for gate in site.gates:
            gate.device.come_back()

    gone, joined = {keys[w] for w in leavers}, {keys[w]: crew.faces[w] for w in joiners}

    def first_sync_without_leavers() -> bool:
        done = [g for g in site.gates if holds(g, joined)]
        assert all(holds_none(g, gone) for g in done), "a gate holds every joiner but still a leaver"  # R26 first
        return len(done) == len(site.gates)
    eventually(first_sync_without_leavers, timeout=SYNC_S, interval=0.02)
    eventually(lambda: every_gate_exact(site), timeout=SYNC_S)


def _wanted(site: Site, gate: SimGate, workers: list[str], wanted: str) -> bool:
    rows = {str(r["worker_id"]): r for r in site.pairs(gate_id=gate.id) if r["worker_id"] in set(workers)}
    return len(rows) == len(workers) and all(r["wanted"] == wanted for r in rows.values())


def test_a_photo_one_gate_model_rejects_is_shown_with_its_reason_and_a_new_photo_fixes_it(site: Site) -> None:
    crew = hire(site, 1)
    [worker] = crew.workers
    give_faces(crew, crew.workers)
    isapi = site.gate(HIKVISION_ISAPI)
    isapi.device.reject_photos(refuse_hashes({crew.faces[worker]}, PHOTO_MODELLING))  # its face model fails
    accept(site, crew, crew.workers)
    key = site.keys([worker])[worker]
    others = [g for g in site.gates if g is not isapi]
    eventually(lambda: all(holds(g, {key: crew.faces[worker]}) for g in others), timeout=SYNC_S)

    refused = eventually(lambda: _failed(pair(site, isapi, worker)), timeout=SYNC_S)
    assert (refused["reason"], refused["photo_problem"]) == (PHOTO_REJECTED, "modelling_failed"), refused
    assert refused["what_to_do_en"] and refused["what_to_do_zh"], refused
    assert isapi.listing().get(key, "") == ""  # no face there: nobody passes as this worker (the person may stay)

    crew.faces[worker] = upload_face(crew, worker, face_photo(10**6))  # the clerk takes a new photo
    eventually(lambda: all(holds(g, {key: crew.faces[worker]}) for g in site.gates), timeout=SYNC_S)
    eventually(lambda: pair(site, isapi, worker)["state"] == "synced", timeout=SYNC_S)


def _failed(row: dict[str, object]) -> dict[str, object] | None:
    return row if row["state"] == "failed" else None


def _failed_pair(site: Site, gate: SimGate, worker_id: str) -> dict[str, object] | None:
    return _failed(pair(site, gate, worker_id))


def test_a_full_gate_says_device_full_and_the_other_gates_carry_on(site: Site) -> None:
    full = site.gate(ZKTECO_PUSH)
    crew = hire(site, 3)
    give_faces(crew, crew.workers)
    full.device.fill_up()
    try:
        accept(site, crew, crew.workers)
        keys = site.keys(crew.workers)
        people = {keys[w]: crew.faces[w] for w in crew.workers}
        eventually(lambda: all(holds(g, people) for g in site.gates if g is not full), timeout=SYNC_S)
        for worker in crew.workers:
            row = eventually(partial(_failed_pair, site, full, worker), timeout=SYNC_S)
            assert row["reason"] == DEVICE_FULL, row
        assert holds_none(full, set(people))
        summary = site.gate_summary(full)
        assert summary["counts"].get("failed", 0) >= 3, summary
    finally:  # room is made on the gate (an operator deletes old records), and the manager resyncs it
        full.device.people_capacity = full.device.faces_capacity = 3000
    assert site.resync(full) >= 3
    eventually(lambda: every_gate_exact(site), timeout=SYNC_S)


def test_a_bridge_killed_mid_sync_and_cut_connections_lose_nothing_and_apply_nothing_twice(site: Site) -> None:
    crew = hire(site, 150)
    give_faces(crew, crew.workers)
    isapi = site.gate(HIKVISION_ISAPI)
    bridge = isapi.bridge
    assert bridge is not None and site.proxy is not None
    isapi.terminal.latency_s = 0.02  # slow enough that the kill lands mid-sync
    try:
        accept(site, crew, crew.workers)
        keys = set(site.keys(crew.workers).values())
        eventually(lambda: 10 <= len(keys & set(isapi.listing())) < len(keys), timeout=SYNC_S, interval=0.01)
        bridge.kill()
        assert site.proxy.drop_connections() > 0  # the platform's, the native gate's: all of this site
        bridge.start()
        eventually(lambda: len(keys & set(isapi.listing())) > 20, timeout=SYNC_S)
        site.proxy.drop_connections()  # and once more while the restarted bridge works
    finally:
        isapi.terminal.latency_s = 0.0
    eventually(lambda: every_gate_exact(site), timeout=150, interval=0.5)
    expected = len(site.expected())
    for gate in site.gates:
        eventually(partial(_settled, site, gate, expected), timeout=SYNC_S)
