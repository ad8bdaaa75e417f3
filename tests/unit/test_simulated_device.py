"""The simulated face terminal behaves like a real one: it fills up, its model refuses photos, its event
numbers wrap, its clock drifts, and a factory reset leaves nobody on it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from realname_edge.gate_sims import device as dev
from realname_edge.gate_sims.device import DeviceRefusal, SimulatedDevice

FACES = Path(__file__).parent.parent / "support" / "faces"
PHOTO = (FACES / "astronaut.jpg").read_bytes()  # 300 by 400 pixels
OTHER_PHOTO = (FACES / "cat.jpg").read_bytes()


def a_device(people_capacity: int = 3000, faces_capacity: int = 3000) -> SimulatedDevice:
    return SimulatedDevice("SIM-1", people_capacity=people_capacity, faces_capacity=faces_capacity)


def refusal_of(action: object) -> str:
    assert callable(action)
    with pytest.raises(DeviceRefusal) as refused:
        action()
    return refused.value.code


def test_a_person_beyond_its_capacity_is_refused_but_one_it_holds_can_still_be_edited() -> None:
    device = a_device(people_capacity=2)
    assert device.put_person("1", "张三") and device.put_person("2", "李四")

    assert refusal_of(lambda: device.put_person("3", "王五")) == dev.FULL_PEOPLE
    assert device.put_person("2", "李四", valid_until="2026-12-31T23:59:59+08:00") is False
    assert device.people["2"].valid_until == "2026-12-31T23:59:59+08:00"
    device.remove_person("1")
    assert device.put_person("3", "王五")


def test_a_face_beyond_its_capacity_is_refused_but_a_face_it_holds_can_be_replaced() -> None:
    device = a_device(faces_capacity=1)
    device.put_person("1", "张三")
    device.put_person("2", "李四")
    device.put_face("1", PHOTO)

    assert refusal_of(lambda: device.put_face("2", PHOTO)) == dev.FULL_FACES
    device.put_face("1", OTHER_PHOTO)
    assert device.listing() == {"1": hashlib.sha256(OTHER_PHOTO).hexdigest(), "2": ""}


def test_filling_it_up_makes_the_next_addition_fail() -> None:
    device = a_device()
    device.put_person("1", "张三")
    device.put_face("1", PHOTO)
    device.fill_up()

    assert (device.people_capacity, device.faces_capacity) == (1, 1)
    assert refusal_of(lambda: device.put_person("2", "李四")) == dev.FULL_PEOPLE
    device.fill_up(people_capacity=5, faces_capacity=1)
    device.put_person("2", "李四")
    assert refusal_of(lambda: device.put_face("2", PHOTO)) == dev.FULL_FACES


def test_a_face_before_its_person_fails_and_an_existing_person_refuses_a_create_only_add() -> None:
    device = a_device()
    assert refusal_of(lambda: device.put_face("1", PHOTO)) == dev.NO_PERSON
    device.put_person("1", "张三")
    assert refusal_of(lambda: device.put_person("1", "张三", create_only=True)) == "exists"


def test_its_photo_rules_refuse_what_its_model_cannot_take_and_take_the_rest() -> None:
    device = a_device()
    device.put_person("1", "张三")
    device.reject_photos(dev.refuse_hashes({hashlib.sha256(OTHER_PHOTO).hexdigest()}))
    device.reject_photos(dev.larger_than(20_000))

    assert refusal_of(lambda: device.put_face("1", OTHER_PHOTO)) == dev.PHOTO_MODELLING
    assert refusal_of(lambda: device.put_face("1", PHOTO)) == dev.PHOTO_TOO_LARGE  # 27 KB
    assert device.listing() == {"1": ""}


def test_a_photo_with_too_few_pixels_is_refused_as_not_sharp_and_a_non_picture_as_unmodellable() -> None:
    needs_vga = dev.smaller_than(480, 640)
    assert needs_vga(PHOTO) == dev.PHOTO_NOT_SHARP
    assert dev.smaller_than(300, 400)(PHOTO) is None
    assert needs_vga(b"\xff\xd8 not really a jpeg") == dev.PHOTO_MODELLING


def test_a_face_never_shows_in_a_repr() -> None:
    device = a_device()
    device.put_person("1", "张三")
    device.put_face("1", PHOTO)
    assert "\\xff\\xd8" not in repr(device) and "\\xff\\xd8" not in repr(device.people["1"])


def test_event_serial_numbers_run_to_one_hundred_thousand_then_start_again_at_one() -> None:
    device = a_device()
    device.next_serial = dev.SERIAL_WRAP - 1

    serials = [device.recognise("1").serial_no for _ in range(3)]

    assert serials == [99_999, 100_000, 1]
    assert [e.serial_no for e in device.events_after(1)] == [100_000, 1]
    assert device.events_after(3) == []


def test_its_clock_drifts_by_what_it_is_told_and_setting_the_time_puts_it_right() -> None:
    device = a_device()
    device.drift(90)
    device.drift(-30)
    assert abs((device.now() - datetime.now(UTC)).total_seconds() - 60) < 1
    assert abs((device.recognise("1").at - datetime.now(UTC)).total_seconds() - 60) < 1

    device.set_time(datetime.now(UTC) - timedelta(seconds=5))
    assert abs(device.clock_drift_s + 5) < 1


def test_a_wiped_device_holds_nobody_and_keeps_its_capacity_and_its_event_memory() -> None:
    device = a_device(people_capacity=10)
    device.put_person("1", "张三")
    device.put_face("1", PHOTO)
    device.recognise("1")

    device.wipe()

    assert device.listing() == {} and device.face_count() == 0
    assert device.people_capacity == 10
    assert [e.key for e in device.events] == ["1"]
    assert device.remove_person("1") is False
