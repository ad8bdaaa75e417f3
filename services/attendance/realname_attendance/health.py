"""A gate's health, from its ``gate.reported`` messages (R23): contact, capacity, firmware, clock, problem.

The sender is checked against the broker-validated account (``senders``). A gate coming back online is told to
the whitelist engine (``device.online``: it gets what changed meanwhile); a clock going off too
(``device.clock_off``: the engine sets the time where the kind allows). A bridge's report of a device it does not
know is a sighting, audited once per bridge, serial and day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from realname_attendance import device_events
from realname_attendance.models import OUTBOX, Bridge, DeviceSighting, Gate
from realname_attendance.rules.health import Heard, came_online, contact_moment, is_clock_off
from realname_attendance.senders import bridge_of_sender, gate_of_sender
from realname_codes.gate_protocol import InvalidGateMessage, Report, message_of
from realname_kit.audit import record_audit
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import Handler, PoisonMessage
from realname_kit.timeutil import CHINA, utcnow

Clock = Callable[[], datetime]


def gate_reported(session: Session, event: Envelope, clock: Clock = utcnow) -> None:
    report = _report(event)
    now = clock()
    moment = contact_moment(_instant(report.contact_at), now)
    bridge = bridge_of_sender(session, event.sender)
    if bridge is not None:
        bridge.last_contact_at = max(bridge.last_contact_at or moment, moment)
    if not report.known:
        if bridge is None:
            raise PoisonMessage(f"a report of an unknown device from {event.sender!r}, which is no bridge: refused")
        _sighted(session, bridge, report.device, now)
        return
    gate = gate_of_sender(session, event.sender, report.device, lock=True)
    if gate.last_contact_at is not None and moment < gate.last_contact_at:
        return  # an older report, delivered late (a spool flushed): what came after it stands
    before = Heard(gate.last_contact_at, gate.reported_online)
    was_clock_off = is_clock_off(gate.clock_offset_s)
    _apply(gate, report, moment)
    if came_online(before, Heard(gate.last_contact_at, gate.reported_online), now):
        gate.online_since = now
        device_events.online(session, gate)
    if report.clock_offset_s is not None and is_clock_off(report.clock_offset_s) and not was_clock_off:
        device_events.clock_off(session, gate, float(report.clock_offset_s))


def _apply(gate: Gate, report: Report, moment: datetime) -> None:
    gate.last_contact_at, gate.reported_online = moment, bool(report.online)
    gate.model, gate.firmware = report.model[:100] or gate.model, report.firmware[:100] or gate.firmware
    for name in ("people", "faces", "people_capacity", "faces_capacity"):
        value = getattr(report, name)
        if value is not None:
            setattr(gate, name, value)
    if report.clock_offset_s is not None:
        gate.clock_offset_s = float(report.clock_offset_s)
    gate.problem = report.problem[:60] if report.problem else None


def _sighted(session: Session, bridge: Bridge, serial: str, now: datetime) -> None:
    sighting = session.get(DeviceSighting, (bridge.id, serial[:64]), with_for_update=True)
    if sighting is None:
        session.add(DeviceSighting(bridge_id=bridge.id, serial=serial[:64], first_seen_at=now, last_seen_at=now))
        first_today = True
    else:
        first_today = sighting.last_seen_at.astimezone(CHINA).date() != now.astimezone(CHINA).date()
        sighting.last_seen_at, sighting.times = max(sighting.last_seen_at, now), sighting.times + 1
    if first_today:
        record_audit(session, OUTBOX, action="device.sighted", actor=None, subject=serial[:64],
                     details={"bridge_id": bridge.id, "project_id": bridge.project_id})


def _report(event: Envelope) -> Report:
    try:
        message = message_of(event.type, event.data)
    except InvalidGateMessage as exc:
        raise PoisonMessage(str(exc)) from exc
    if not isinstance(message, Report):
        raise PoisonMessage(f"{event.type} is not a report")
    for name in ("people", "faces", "people_capacity", "faces_capacity"):
        value = getattr(message, name)
        if value is not None and (type(value) is not int or not 0 <= value < 2**31):
            raise PoisonMessage(f"a report with {name} {value!r}")
    offset = message.clock_offset_s
    if offset is not None and (type(offset) not in (int, float) or not math.isfinite(offset)):
        raise PoisonMessage(f"a report with clock_offset_s {offset!r}")
    for name in ("model", "firmware", "problem", "contact_at"):
        if not isinstance(getattr(message, name), str | None):
            raise PoisonMessage(f"a report whose {name} is no text")
    return message


def _instant(text: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


health_handlers: dict[str, Handler] = {"gate.reported": gate_reported}
