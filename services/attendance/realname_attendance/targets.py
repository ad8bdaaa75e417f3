"""Where a gate's commands go: the broker account whose command queue it reads.

The devices part owns this module; this copy has exactly its signature so the whitelist is written against it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from realname_attendance.models import Bridge, Gate
from realname_codes.gate_protocol import NATIVE


def command_target(session: Session, gate: Gate) -> str | None:
    """The broker account a gate's commands go to: a native gate's own, or its enabled bridge's; None while it has
    no live credentials (nothing can reach it)."""
    if gate.kind == NATIVE:
        return gate.account
    if gate.bridge_id is None:
        return None
    bridge = session.get(Bridge, gate.bridge_id)
    return bridge.account if bridge is not None and bridge.enabled else None
