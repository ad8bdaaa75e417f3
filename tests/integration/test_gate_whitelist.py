"""The whitelist driven onto face gates on the real broker and database (R23, R26): the attendance consumer and
relay (with its dispatcher and reconciliation chores) run as in production; each gate is a simulated terminal
answering on its own account's command queue."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import pika
import pytest
from kombu import Connection
from kombu.exceptions import ChannelError
from sqlalchemy import select

from realname_attendance.models import Reconciliation
from realname_codes.gate_protocol import ACKNOWLEDGED, DONE, ENROL, REVOKE, Ack, encode, exchange_in
from realname_edge.gate_sims.device import refuse_hashes
from realname_kit.timeutil import utcnow
from tests.support.gate_responder import gate_account
from tests.support.gate_site import Site, photo
from tests.support.stack import Stack, eventually

SETTLE_S = 60.0


@pytest.fixture(scope="module")
def platform(module_stack: Stack) -> Stack:
    module_stack.migrate("attendance")
    module_stack.declare()
    env = {"REALNAME_ATTENDANCE_DISPATCH_IDLE_SECONDS": "0.05", "REALNAME_ATTENDANCE_RECONCILE_MINUTES": "600"}
    module_stack.spawn("consumer", "attendance", **env)
    module_stack.spawn("relay", "attendance", **env)
    eventually(lambda: _running(module_stack), 120)  # a loaded machine starts them slowly
    return module_stack


def _running(stack: Stack) -> bool:
    """The consumer takes from its queues and the relay (with its chores) announces itself."""
    with Connection(stack.amqp) as conn:
        channel = conn.default_channel
        _, _, consumers = channel.queue_declare(queue=stack.queue_name("attendance", "gate-acks"), passive=True)
        try:
            conn.default_channel.queue_declare(queue=stack.topology.presence_queue("attendance", "relay").name,
                                               passive=True)
        except ChannelError:
            return False
        return bool(consumers)


@pytest.fixture
def site(platform: Stack) -> Iterator[Site]:
    s = Site(platform)
    try:
        yield s
    finally:
        s.close()


def _worker(site: Site, jpeg: bytes | None = None) -> str:
    worker_id = str(uuid.uuid4())
    if jpeg is not None:
        site.face(worker_id, jpeg)
    return worker_id


def _synced(site: Site, gate_id: str, worker_id: str) -> bool:
    return site.state(gate_id, worker_id) == ("on", "synced", None)


def test_an_admitted_worker_is_put_on_every_gate_with_the_face_and_a_leaver_taken_off(site: Site) -> None:
    east, west = site.gate("东门"), site.gate("西门")
    worker = _worker(site, photo())
    site.admit(worker)
    eventually(lambda: _synced(site, east, worker) and _synced(site, west, worker), SETTLE_S)
    key = site.key(worker)
    face = site.pair(east, worker)
    assert face is not None and site.held(east) == {key: face.face_sha256} == site.held(west)

    site.exit(worker)
    eventually(lambda: site.state(east, worker) == site.state(west, worker) == ("off", "synced", None), SETTLE_S)
    assert site.held(east) == site.held(west) == {}


def test_a_gate_offline_gets_what_changed_once_back_and_never_holds_the_leaver(site: Site) -> None:
    east, west = site.gate("东门"), site.gate("西门", online=False)
    stays, leaves = _worker(site, photo()), _worker(site, photo("cat.jpg"))
    site.admit(stays)
    site.admit(leaves)
    eventually(lambda: _synced(site, east, stays) and _synced(site, east, leaves), SETTLE_S)
    site.exit(leaves)
    eventually(lambda: site.state(east, leaves) == ("off", "synced", None), SETTLE_S)
    assert site.held(west) == {}  # nothing was sent to it while offline
    assert site.state(west, leaves) == ("off", "pending", None)

    site.set_gate(west, reported_online=True, online_since=utcnow(), last_contact_at=utcnow())
    site.event("device.online", {"gate_id": west, "project_id": site.project_id})
    eventually(lambda: _synced(site, west, stays) and site.state(west, leaves) == ("off", "synced", None), SETTLE_S)
    assert set(site.held(west)) == {site.key(stays)}
    assert (site.devices[west].serial, ENROL, site.key(leaves)) not in site.responders[west].applied


def test_a_photo_one_gate_refuses_fails_there_only_and_a_new_face_fixes_it(site: Site) -> None:
    east, west = site.gate("东门"), site.gate("西门")
    first = photo()
    site.devices[west].reject_photos(refuse_hashes({hashlib.sha256(first).hexdigest()}))
    worker = _worker(site, first)
    site.admit(worker)
    eventually(lambda: _synced(site, east, worker)
               and site.state(west, worker) == ("on", "failed", "photo_rejected"), SETTLE_S)
    refused = site.pair(west, worker)
    assert refused is not None and refused.photo_problem == "modelling_failed"

    site.face(worker, photo("cat.jpg"))
    eventually(lambda: _synced(site, west, worker) and _synced(site, east, worker), SETTLE_S)
    assert site.held(west) == site.held(east)


def test_a_full_gate_fails_with_device_full_there_and_blocks_nothing_else(site: Site) -> None:
    east, west = site.gate("东门"), site.gate("西门")
    site.devices[west].fill_up(people_capacity=1, faces_capacity=1)
    first, second = _worker(site, photo()), _worker(site, photo("cat.jpg"))
    site.admit(first)
    eventually(lambda: _synced(site, west, first), SETTLE_S)
    site.admit(second)
    eventually(lambda: site.state(west, second) == ("on", "failed", "device_full"), SETTLE_S)
    eventually(lambda: _synced(site, east, first) and _synced(site, east, second), SETTLE_S)
    assert _synced(site, west, first)


def test_a_revoke_overtakes_the_enrols_queued_before_it(site: Site) -> None:
    gate = site.gate("东门")
    leaver = _worker(site, photo())
    site.admit(leaver)
    eventually(lambda: _synced(site, gate, leaver), SETTLE_S)
    site.responders[gate].pause()
    newcomers = [_worker(site, photo("cat.jpg")) for _ in range(4)]
    for worker in newcomers:
        site.admit(worker)
    eventually(lambda: all(site.state(gate, w) == ("on", "sent", None) for w in newcomers), SETTLE_S)
    site.exit(leaver)
    eventually(lambda: site.state(gate, leaver) == ("off", "sent", None), SETTLE_S)
    done_before = len(site.responders[gate].applied)

    site.responders[gate].resume()
    eventually(lambda: all(_synced(site, gate, w) for w in newcomers)
               and site.state(gate, leaver) == ("off", "synced", None), SETTLE_S)
    after = [(op, key) for _, op, key in site.responders[gate].applied[done_before:] if op in (ENROL, REVOKE)]
    assert after[0] == (REVOKE, site.key(leaver))


def test_reconciliation_repairs_drift_both_ways_and_counts_it(site: Site) -> None:
    gate = site.gate("东门")
    lost, stale = _worker(site, photo()), _worker(site, photo())
    site.admit(lost)
    site.admit(stale)
    eventually(lambda: _synced(site, gate, lost) and _synced(site, gate, stale), SETTLE_S)
    device = site.devices[gate]
    device.remove_person(site.key(lost))
    device.put_face(site.key(stale), photo("cat.jpg"))
    device.put_person("990000001", "陌生人")
    asked_at = utcnow()

    site.set_gate(gate, online_since=asked_at)  # back online: reconciled at once

    def answered() -> Reconciliation | None:
        with site.stack.db("attendance").transaction() as session:
            return session.scalars(select(Reconciliation).where(
                Reconciliation.gate_id == gate, Reconciliation.asked_at >= asked_at,
                Reconciliation.answered_at.is_not(None))).first()
    done = eventually(answered, SETTLE_S)
    assert (done.missing, done.extra, done.stale_faces) == (1, 1, 1)
    face = site.pair(gate, stale)
    assert face is not None
    eventually(lambda: site.held(gate) == {site.key(lost): face.face_sha256, site.key(stale): face.face_sha256},
               SETTLE_S)
    left = "SELECT count(*) FROM reconciliations WHERE gate_id = :gate AND revoke_keys IS NOT NULL"
    eventually(lambda: site.stack.count("attendance", left, gate=gate) == 0, SETTLE_S)  # nothing left to revoke


def test_a_transient_failure_is_tried_again_after_its_back_off(site: Site) -> None:
    gate = site.gate("东门")
    site.devices[gate].go_offline()  # the gate's program answers, its terminal does not
    worker = _worker(site, photo())
    site.admit(worker)
    eventually(lambda: site.state(gate, worker) == ("on", "failed", "device_offline"), SETTLE_S)
    site.devices[gate].come_back()
    eventually(lambda: _synced(site, gate, worker), SETTLE_S)
    pair = site.pair(gate, worker)
    assert pair is not None and pair.attempts == 2


def test_an_answer_from_another_gates_account_is_dead_lettered_and_changes_nothing(site: Site) -> None:
    gate = site.gate("东门")
    worker = _worker(site, photo())
    site.responders[gate].pause()
    site.admit(worker)
    eventually(lambda: site.state(gate, worker) == ("on", "sent", None), SETTLE_S)
    sent = site.pair(gate, worker)
    assert sent is not None and sent.command_id is not None
    prefix = site.stack.settings.bus_prefix
    intruder, url = gate_account(site.stack.amqp, prefix, f"gate-intruder-{uuid.uuid4().hex[:6]}")
    dead = f"{site.stack.queue_name('attendance', 'gate-acks')}.dead"
    before = site.stack.queue_depth(dead)
    forged = Ack(command_id=sent.command_id, device=site.devices[gate].serial, op=ENROL, outcome=DONE,
                 sequence=sent.sequence, worker_key=site.key(worker))
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        connection.channel().basic_publish(exchange_in(prefix), ACKNOWLEDGED, encode(forged, source=intruder),
                                           pika.BasicProperties(delivery_mode=2, user_id=intruder))
    finally:
        connection.close()
    eventually(lambda: site.stack.queue_depth(dead) == before + 1, SETTLE_S)
    assert site.state(gate, worker) == ("on", "sent", None)
    site.responders[gate].resume()
    eventually(lambda: _synced(site, gate, worker), SETTLE_S)


def test_a_gate_whose_clock_is_off_is_given_the_platforms_time(site: Site) -> None:
    gate = site.gate("东门")
    site.devices[gate].drift(600)
    site.event("device.clock_off", {"gate_id": gate, "project_id": site.project_id, "clock_offset_s": 600.0})
    eventually(lambda: abs(site.devices[gate].clock_drift_s) < 30, SETTLE_S)


def test_a_removed_face_takes_the_worker_off_the_gates_until_a_new_one_is_uploaded(site: Site) -> None:
    gate = site.gate("东门")
    worker = _worker(site, photo())
    site.admit(worker)
    eventually(lambda: _synced(site, gate, worker), SETTLE_S)
    site.remove_face(worker)
    eventually(lambda: site.state(gate, worker) == ("on", "failed", "face_missing"), SETTLE_S)
    assert site.held(gate) == {}
    sha = site.face(worker, photo("cat.jpg"))
    eventually(lambda: _synced(site, gate, worker), SETTLE_S)
    assert site.held(gate) == {site.key(worker): sha}


def test_a_worker_admitted_before_any_face_waits_for_one(site: Site) -> None:
    gate = site.gate("东门")
    worker = _worker(site)
    site.admit(worker)
    eventually(lambda: site.state(gate, worker) == ("on", "failed", "face_missing"), SETTLE_S)
    assert all(op != ENROL for _, op, _ in site.responders[gate].applied)  # nothing to enrol it with
    site.face(worker, photo())
    eventually(lambda: _synced(site, gate, worker), SETTLE_S)


def test_a_gate_registered_after_the_admissions_gets_every_admitted_worker(site: Site) -> None:
    first = site.gate("东门")
    admitted, left = _worker(site, photo()), _worker(site, photo("cat.jpg"))
    site.admit(admitted)
    site.admit(left)
    eventually(lambda: _synced(site, first, admitted) and _synced(site, first, left), SETTLE_S)
    site.exit(left)
    eventually(lambda: site.state(first, left) == ("off", "synced", None), SETTLE_S)

    late = site.gate("北门")
    site.event("device.registered", {"gate_id": late, "project_id": site.project_id})
    eventually(lambda: _synced(site, late, admitted), SETTLE_S)
    assert site.held(late) == {site.key(admitted): site.held(first)[site.key(admitted)]}
    assert site.state(late, left) is None
