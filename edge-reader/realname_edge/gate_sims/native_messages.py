"""What a native gate says about itself: its health report and its recognitions as punches (no broker here)."""

from __future__ import annotations

from typing import NamedTuple

from realname_codes import gate_protocol as gp
from realname_edge.gate_sims.device import Recognition, SimulatedDevice


class Health(NamedTuple):
    """A report without its time of contact: when this changes, the gate reports at once."""

    people: int
    faces: int
    people_capacity: int
    faces_capacity: int
    model: str
    firmware: str
    clock_offset_s: float


def health_of(device: SimulatedDevice) -> Health:
    # Cheap enough to ask every tick (no hashing of faces); the offset to 0.1 s, so that the few milliseconds a
    # set_time leaves behind are not a change.
    return Health(len(device.people), device.face_count(), device.people_capacity, device.faces_capacity,
                  device.model, device.firmware, round(device.clock_drift_s, 1))


def report_of(device: SimulatedDevice, health: Health) -> gp.Report:
    return gp.Report(device=device.serial, contact_at=gp.now_iso(), kind=gp.NATIVE, **health._asdict())


def punch_of(device: SimulatedDevice, event: Recognition) -> gp.Punch:
    at = event.at.isoformat()  # the device's own clock, drift and all: the platform judges it
    # The serial number wraps at 100000, so the device's time makes the key unique: a re-sent punch is one (R27).
    return gp.Punch(device=device.serial, worker_key=event.key, at=at,
                    event_key=f"{device.serial}:{event.serial_no}:{at}", verified_by=event.verified_by)
