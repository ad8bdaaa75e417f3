"""The events attendance tells itself about its devices, for the whitelist engine (its own exchange, R23, R26).

``device.registered`` {gate_id, project_id, kind, serial, bridge_id, target}; ``device.disabled`` {gate_id,
project_id, cause}; ``device.enabled`` {gate_id, project_id}; ``device.online`` {gate_id, project_id};
``device.clock_off`` {gate_id, offset_s}. Recorded in the transaction of the change.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from realname_attendance.models import OUTBOX, Gate
from realname_attendance.targets import command_target

REGISTERED, DISABLED, ENABLED = "device.registered", "device.disabled", "device.enabled"
ONLINE, CLOCK_OFF = "device.online", "device.clock_off"

# Causes of device.disabled.
BY_MANAGER, PROJECT_COMPLETED, BRIDGE_DISABLED = "disabled", "project_completed", "bridge_disabled"


def registered(session: Session, gate: Gate) -> None:
    OUTBOX.record(session, REGISTERED, {"gate_id": gate.id, "project_id": gate.project_id, "kind": gate.kind,
                                        "serial": gate.serial, "bridge_id": gate.bridge_id,
                                        "target": command_target(session, gate)})


def disabled(session: Session, gate: Gate, cause: str) -> None:
    OUTBOX.record(session, DISABLED, {"gate_id": gate.id, "project_id": gate.project_id, "cause": cause})


def enabled(session: Session, gate: Gate) -> None:
    OUTBOX.record(session, ENABLED, {"gate_id": gate.id, "project_id": gate.project_id})


def online(session: Session, gate: Gate) -> None:
    OUTBOX.record(session, ONLINE, {"gate_id": gate.id, "project_id": gate.project_id})


def clock_off(session: Session, gate: Gate, offset_s: float) -> None:
    OUTBOX.record(session, CLOCK_OFF, {"gate_id": gate.id, "project_id": gate.project_id, "offset_s": offset_s})
