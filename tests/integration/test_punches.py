"""Punches from the gates (R27), taken in by a real attendance consumer on real RabbitMQ and PostgreSQL: each kept
exactly once, judged, with exactly one reason when not valid; a forged or broken message dead-lettered alone; late
punches flagged and their days marked for the ledger; several consumers sharing the queue."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from realname_attendance.models import Punch, PunchPhoto
from realname_codes.gate_protocol import Punch as PunchMessage
from tests.support.face_photos import face_photo
from tests.support.gate_site import Site
from tests.support.punch_site import (
    CHINA,
    bridge_account,
    dirty_days,
    kept,
    native_account,
    punch,
    send,
    worker,
)
from tests.support.stack import Stack, eventually

SETTLE_S = 60.0


@pytest.fixture(scope="module")
def platform(module_stack: Stack) -> Stack:
    module_stack.migrate("attendance")
    module_stack.declare()
    module_stack.spawn("consumer", "attendance")
    eventually(lambda: _consumers(module_stack) == 1, 120)
    return module_stack


def _consumers(stack: Stack) -> int:
    return stack.queue_consumers(stack.queue_name("attendance", "punches"))


@pytest.fixture
def site(platform: Stack) -> Iterator[Site]:
    s = Site(platform)
    try:
        yield s
    finally:
        s.close()


def now() -> datetime:
    return datetime.now(CHINA).replace(microsecond=0)


def one(site: Site, device: str) -> Punch:
    eventually(lambda: kept(site, device), SETTLE_S)
    return kept(site, device)[0]


def test_a_worker_admitted_at_that_moment_punches_validly_and_the_day_is_marked_for_the_ledger(site: Site) -> None:
    gate = site.gate("东门")
    worker_id, key = worker(site, entry_at=now() - timedelta(days=2))
    serial = site.devices[gate].serial
    at = now() - timedelta(minutes=1)
    send(site, native_account(site, gate), punch(serial, key, at, direction=None))
    row = one(site, serial)
    assert (row.valid, row.reason, row.gate_id, row.project_id, row.worker_id) == (
        True, None, gate, site.project_id, worker_id)
    assert (row.at, row.day, row.offset_minutes, row.late, row.has_photo) == (at, at.date(), 480, False, False)
    assert row.direction is None  # the gate goes both ways and the punch did not say
    assert dirty_days(site, worker_id) == {(worker_id, site.project_id, at.date())}


def test_a_serial_naming_no_gate_is_kept_as_an_unknown_device_from_its_bridge(site: Site) -> None:
    bridge = bridge_account(site)
    _, key = worker(site, entry_at=now() - timedelta(days=2))
    serial = f"ZK{uuid.uuid4().hex[:10].upper()}"
    send(site, bridge, punch(serial, key, now()))
    row = one(site, serial)
    assert (row.valid, row.reason, row.gate_id, row.project_id, row.sender) == (
        False, "unknown_device", None, site.project_id, bridge.name)


def test_a_disabled_gate_punch_is_kept_as_device_disabled(site: Site) -> None:
    gate = site.gate("东门")
    _, key = worker(site, entry_at=now() - timedelta(days=2))
    site.set_gate(gate, enabled=False)
    send(site, native_account(site, gate), punch(site.devices[gate].serial, key, now()))
    assert one(site, site.devices[gate].serial).reason == "device_disabled"


def test_a_punch_dated_more_than_five_minutes_ahead_is_clock_skew_even_in_a_far_month(site: Site) -> None:
    gate = site.gate("东门")
    _, key = worker(site, entry_at=now() - timedelta(days=2))
    serial = site.devices[gate].serial
    send(site, native_account(site, gate), punch(serial, key, now() + timedelta(minutes=10)),
         punch(serial, key, now() + timedelta(days=800)))  # a clock years ahead: its month is made for it
    eventually(lambda: len(kept(site, serial)) == 2, SETTLE_S)
    assert {r.reason for r in kept(site, serial)} == {"clock_skew"}


def test_a_key_naming_no_worker_is_kept_as_unknown_worker(site: Site) -> None:
    gate = site.gate("东门")
    serial = site.devices[gate].serial
    send(site, native_account(site, gate), punch(serial, "987654321012", now()), punch(serial, "0042", now()))
    eventually(lambda: len(kept(site, serial)) == 2, SETTLE_S)
    assert {(r.reason, r.worker_id) for r in kept(site, serial)} == {("unknown_worker", None)}


def test_a_worker_not_yet_admitted_then_and_one_who_had_left_are_refused_each_with_its_reason(site: Site) -> None:
    gate = site.gate("东门")
    serial = site.devices[gate].serial
    at = now() - timedelta(hours=1)
    later_id, later = worker(site, entry_at=at + timedelta(minutes=1))
    _, never = worker(site, entry_at=None)
    _, left = worker(site, entry_at=at - timedelta(days=10), exited_at=at - timedelta(days=1))
    send(site, native_account(site, gate), punch(serial, later, at), punch(serial, never, at), punch(serial, left, at))
    eventually(lambda: len(kept(site, serial)) == 3, SETTLE_S)
    reasons = {r.worker_key: (r.valid, r.reason) for r in kept(site, serial)}
    assert reasons == {later: (False, "not_admitted"), never: (False, "not_admitted"), left: (False, "exited")}
    assert dirty_days(site, later_id) == set()  # a rejected punch changes no ledger


def test_a_punch_sent_twice_and_a_batch_sent_ten_times_are_one_row_each(site: Site) -> None:
    gate = site.gate("东门")
    serial = site.devices[gate].serial
    _, key = worker(site, entry_at=now() - timedelta(days=2))
    morning = now() - timedelta(hours=1)
    batch = [punch(serial, key, morning + timedelta(seconds=n)) for n in range(20)]
    account = native_account(site, gate)
    for _ in range(10):  # a ZKTeco terminal that never read its OK:<n> sends the same batch again
        send(site, account, *batch)
    eventually(lambda: len(kept(site, serial)) == 20 and site.stack.queue_depth(
        site.stack.queue_name("attendance", "punches")) == 0, SETTLE_S)
    send(site, account, batch[0])
    eventually(lambda: site.stack.queue_depth(site.stack.queue_name("attendance", "punches")) == 0, SETTLE_S)
    rows = kept(site, serial)
    assert [r.event_key for r in rows] == [p.event_key for p in batch]
    assert all(r.valid for r in rows)


def test_in_a_mixed_batch_only_the_forged_and_the_broken_messages_are_dead_lettered(site: Site) -> None:
    east, west = site.gate("东门"), site.gate("西门")
    _, key = worker(site, entry_at=now() - timedelta(days=2))
    dead = f"{site.stack.queue_name('attendance', 'punches')}.dead"
    before = site.stack.queue_depth(dead)
    east_serial, west_serial = site.devices[east].serial, site.devices[west].serial
    good = [punch(east_serial, key, now() - timedelta(seconds=n)) for n in range(5)]
    as_west = punch(west_serial, key, now())  # another account's gate: forgery
    no_offset = PunchMessage(device=east_serial, worker_key=key, at=now().replace(tzinfo=None).isoformat(),
                             event_key=str(uuid.uuid4()))
    send(site, native_account(site, east), good[0], as_west, good[1], no_offset, b"{not json", *good[2:])
    eventually(lambda: site.stack.queue_depth(dead) == before + 3, SETTLE_S)
    eventually(lambda: len(kept(site, east_serial)) == 5, SETTLE_S)
    assert kept(site, west_serial) == []


def test_a_punch_of_an_earlier_local_day_is_late_and_its_day_is_marked(site: Site) -> None:
    gate = site.gate("东门")
    serial = site.devices[gate].serial
    friday = now() - timedelta(days=3)
    worker_id, key = worker(site, entry_at=friday - timedelta(days=30))
    send(site, native_account(site, gate), punch(serial, key, friday), punch(serial, key, now()))
    eventually(lambda: len(kept(site, serial)) == 2, SETTLE_S)
    assert [(r.day, r.late) for r in kept(site, serial)] == [(friday.date(), True), (now().date(), False)]
    assert dirty_days(site, worker_id) == {(worker_id, site.project_id, friday.date()),
                                           (worker_id, site.project_id, now().date())}


def test_two_consumers_on_one_queue_keep_every_punch_once(site: Site) -> None:
    dead = f"{site.stack.queue_name('attendance', 'punches')}.dead"
    before = site.stack.queue_depth(dead)
    site.stack.spawn("consumer", "attendance")
    eventually(lambda: _consumers(site.stack) == 2, 120)
    gates = [site.gate(f"{n}号门") for n in range(3)]
    keys = [worker(site, entry_at=now() - timedelta(days=2))[1] for _ in range(20)]
    start = now() - timedelta(hours=2)
    sent = {g: [punch(site.devices[g].serial, k, start + timedelta(seconds=i))
                for i, k in enumerate(keys * 10)] for g in gates}
    for _ in range(3):  # each gate's whole cache, three times over, while both consumers take from the queue
        for g in gates:
            send(site, native_account(site, g), *sent[g])
    eventually(lambda: site.stack.queue_depth(site.stack.queue_name("attendance", "punches")) == 0, SETTLE_S)
    with site.stack.db("attendance").transaction() as session:
        counted = session.scalar(select(func.count()).select_from(Punch).where(Punch.gate_id.in_(gates)))
    assert counted == 3 * 200
    assert site.stack.queue_depth(dead) == before


def test_a_punch_sent_with_its_photo_keeps_the_photo_apart_sealed_and_says_so(site: Site) -> None:
    gate = site.gate("东门")
    _, key = worker(site, entry_at=now() - timedelta(days=2))
    serial = site.devices[gate].serial
    jpeg = face_photo(7, scale=0.3)
    sent = replace(punch(serial, key, now() - timedelta(minutes=1)), photo_jpeg=base64.b64encode(jpeg).decode())
    send(site, native_account(site, gate), sent)
    assert one(site, serial).has_photo
    with site.stack.db("attendance").transaction() as session:
        photo = session.scalars(select(PunchPhoto).where(PunchPhoto.device == serial)).one()
        assert photo.gate_id == gate and photo.size_bytes == len(jpeg)
        assert jpeg not in photo.photo_enc.encode() and base64.b64encode(jpeg).decode() not in photo.photo_enc
