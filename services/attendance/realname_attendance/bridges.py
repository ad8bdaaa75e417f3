"""Site bridges of a project: registered with a broker account of their own, disabled and enabled (R23).

A disabled bridge drives nothing: its enabled gates are reported disabled to the whitelist engine (cause
``bridge_disabled``) and enabled again with it. Its account stays; revoking it is ``credentials.revoke``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance import device_events, punch_keys
from realname_attendance.access import require_gate_manager
from realname_attendance.adapters.device_broker import Credentials, DeviceBroker
from realname_attendance.device_access import managed
from realname_attendance.models import OUTBOX, Bridge, Gate
from realname_kit.audit import record_audit
from realname_kit.privacy import Keyring
from realname_kit.timeutil import utcnow

BRIDGE = "bridge"


def register_bridge(session: Session, device_broker: Callable[[], DeviceBroker], project_id: str, *, name: str,
                    place: str, keyring: Keyring) -> tuple[Bridge, Credentials]:
    """``keyring`` seals the bridge's HTTPS punch signing key (``punch_keys``)."""
    caller, project = require_gate_manager(session, project_id)
    broker = device_broker()  # no gate broker: 409 no_broker
    account = broker.new_account(BRIDGE)
    bridge = Bridge(project_id=project.id, name=name, place=place, account=account, enabled=True,
                    created_by=caller.subject or "", credentials_issued_at=utcnow())
    session.add(bridge)
    session.flush()
    record_audit(session, OUTBOX, action="bridge.registered", actor=caller, subject=bridge.id,
                 details={"project_id": project.id, "account": account, "name": name})
    credentials = broker.open(account)  # last: a broker failure rolls the row back
    punch_keys.keep_key(keyring, bridge, credentials.password)
    return bridge, credentials


def set_bridge_enabled(session: Session, bridge_id: str, enabled: bool) -> Bridge:
    """Disable or enable a bridge; doing it twice changes nothing the second time."""
    caller, bridge = managed(session, Bridge, bridge_id)
    if bridge.enabled == enabled:
        return bridge
    bridge.enabled, bridge.version = enabled, bridge.version + 1
    for gate in gates_behind(session, bridge.id):
        if enabled:
            device_events.enabled(session, gate)
        else:
            device_events.disabled(session, gate, device_events.BRIDGE_DISABLED)
    record_audit(session, OUTBOX, action="bridge.enabled" if enabled else "bridge.disabled", actor=caller,
                 subject=bridge.id, details={"project_id": bridge.project_id})
    return bridge


def gates_behind(session: Session, bridge_id: str) -> list[Gate]:
    """The enabled gates a bridge drives, locked."""
    return list(session.scalars(select(Gate).where(Gate.bridge_id == bridge_id, Gate.enabled.is_(True))
                                .order_by(Gate.id).with_for_update()))
