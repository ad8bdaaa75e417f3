"""Which bridge or gate a caller may read or manage: the project's gate readers and managers (R21, R32).

A device of a project the caller may not read answers 404, as if it did not exist; one the caller may read but
not change (a regulator) answers 403; a completed project's devices 409 (``access.require_gate_manager``).
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from realname_attendance.access import may_read_gates, require_gate_manager
from realname_attendance.models import Bridge, Gate, Project
from realname_kit.auth import Caller, current_caller
from realname_kit.problems import Problem

D = TypeVar("D", Bridge, Gate)


def readable(session: Session, kind: type[D], device_id: str, *, lock: bool = False) -> D:
    device = session.get(kind, device_id, with_for_update=lock) if len(device_id) <= 36 else None
    project = session.get(Project, device.project_id) if device is not None else None
    if device is None or project is None or not may_read_gates(current_caller(), project):
        raise _not_found(kind, device_id)
    return device


def managed(session: Session, kind: type[D], device_id: str) -> tuple[Caller, D]:
    """The device, locked, when the caller manages its project's gates."""
    device = readable(session, kind, device_id, lock=True)
    caller, _project = require_gate_manager(session, device.project_id)
    return caller, device


def _not_found(kind: type[Bridge] | type[Gate], device_id: str) -> Problem:
    if kind is Bridge:
        return Problem(404, "bridge_not_found", "No site bridge of yours has this id", bridge_id=device_id,
                       message_zh="找不到贵单位的这个现场网关：请核对网关编号。")
    return Problem(404, "gate_not_found", "No gate of yours has this id", gate_id=device_id,
                   message_zh="找不到贵单位的这个闸机：请核对闸机编号。")
