"""A gate whose clock is off gets the platform's time (``set_time``), where its protocol lets it be set.

``device.clock_off`` (the devices part, from a gate's report) asks for it; the reconciliation chore sends it. A
gate with a wrong clock stamps wrong punches, so the ask stays until it is sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import Gate, GateClockRequest
from realname_attendance.targets import command_target
from realname_codes.gate_protocol import HIKVISION_ISAPI, NATIVE, SET_TIME, Command
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage
from realname_kit.logs import get_logger

log = get_logger(__name__)
# Native gates set their clock on command; ISAPI has PUT /ISAPI/System/time. A ZKTeco PUSH terminal takes the time
# from the bridge's handshake answer (TimeZone, the server's Date), not from a command.
CLOCK_SETTABLE = frozenset({NATIVE, HIKVISION_ISAPI})


def clock_off(session: Session, event: Envelope) -> None:
    gate_id = event.data.get("gate_id")
    if not isinstance(gate_id, str) or not gate_id:
        raise PoisonMessage("device.clock_off without gate_id")
    gate = session.get(Gate, gate_id)
    if gate is None or not gate.enabled or gate.kind not in CLOCK_SETTABLE:
        log.info("gate_clock_not_set", gate_id=gate_id, kind=gate.kind if gate else None)
        return
    offset = event.data.get("clock_offset_s")
    request = session.get(GateClockRequest, gate_id, with_for_update=True)
    if request is None:
        session.add(GateClockRequest(gate_id=gate_id, offset_s=offset if isinstance(offset, int | float) else None))


def clock_commands(session: Session, now: datetime) -> list[tuple[str, Command]]:
    """The set_time commands due, each request taken once (several relay processes may run)."""
    requests = session.scalars(select(GateClockRequest).with_for_update(skip_locked=True))
    commands = []
    for request in requests:
        gate = session.get(Gate, request.gate_id)
        target = command_target(session, gate) if gate is not None and gate.enabled else None
        if gate is None or target is None:
            continue  # not reachable yet: asked again on the next round
        session.delete(request)
        commands.append((target, Command(command_id=str(uuid.uuid4()), op=SET_TIME, device=gate.serial,
                                         time=now.isoformat())))
    return commands
