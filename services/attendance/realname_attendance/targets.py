"""Where a gate's commands go: the broker account that reads them (R23, R26).

A native gate reads its own command queue; a vendor gate's commands go to its site bridge's. None while that
target has no live credentials (never issued, or revoked) or its bridge is disabled: commands wait.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from realname_attendance.models import Bridge, Gate


def command_target(session: Session, gate: Gate) -> str | None:
    return target_of(gate, session.get(Bridge, gate.bridge_id) if gate.bridge_id is not None else None)


def target_of(gate: Gate, bridge: Bridge | None) -> str | None:
    """``gate``'s target, given its bridge row (None: it has none, or the row is gone)."""
    if gate.bridge_id is None:
        return gate.account
    if bridge is None or not bridge.enabled:
        return None
    return bridge.account
