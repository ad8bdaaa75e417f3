"""Gates of a project: registered (a native gate with a broker account of its own, a vendor gate behind one of
the project's site bridges), disabled and enabled (R23). Every change is audited and told to the whitelist engine.
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
from realname_codes.gate_protocol import NATIVE
from realname_kit.audit import record_audit
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow

GATE = "gate"


def register_gate(session: Session, device_broker: Callable[[], DeviceBroker], project_id: str, *, kind: str,
                  serial: str, direction: str, name: str, place: str,
                  bridge_id: str | None, keyring: Keyring) -> tuple[Gate, Credentials | None]:
    """``device_broker``: asked for a native gate only (its own account); ``keyring`` seals its punch key."""
    caller, project = require_gate_manager(session, project_id)
    _check_bridge(session, project.id, kind, bridge_id)
    if session.scalars(select(Gate.id).where(Gate.kind == kind, Gate.serial == serial)).first() is not None:
        raise Problem(409, "serial_taken", "A gate of this kind with this serial number is already registered",
                      "Check the serial number on the gate's label; a gate moved from another project must be "
                      "disabled there and registered by the platform's operators.", field="serial", serial=serial,
                      message_zh="该型号、该序列号的闸机已经登记过：请核对闸机铭牌上的序列号；从其他项目搬来的闸机请联系"
                                 "平台运维人员处理。")
    broker = device_broker() if kind == NATIVE else None  # no gate broker: 409 no_broker
    account = broker.new_account(GATE) if broker is not None else None
    gate = Gate(project_id=project.id, kind=kind, serial=serial, direction=direction, name=name, place=place,
                bridge_id=bridge_id, account=account, enabled=True, created_by=caller.subject or "",
                credentials_issued_at=utcnow() if account else None)
    session.add(gate)
    session.flush()
    device_events.registered(session, gate)
    record_audit(session, OUTBOX, action="gate.registered", actor=caller, subject=gate.id,
                 details={"project_id": project.id, "kind": kind, "serial": serial, "bridge_id": bridge_id,
                          "account": account})
    credentials = broker.open(account) if broker is not None and account is not None else None
    if credentials is not None:
        punch_keys.keep_key(keyring, gate, credentials.password)
    return gate, credentials  # the broker last: its failure rolls the row back


def set_gate_enabled(session: Session, gate_id: str, enabled: bool) -> Gate:
    """Disable or enable a gate; doing it twice changes nothing the second time."""
    caller, gate = managed(session, Gate, gate_id)
    if gate.enabled == enabled:
        return gate
    gate.enabled, gate.version = enabled, gate.version + 1
    if enabled:
        device_events.enabled(session, gate)
    else:
        device_events.disabled(session, gate, device_events.BY_MANAGER)
    record_audit(session, OUTBOX, action="gate.enabled" if enabled else "gate.disabled", actor=caller,
                 subject=gate.id, details={"project_id": gate.project_id})
    return gate


def _check_bridge(session: Session, project_id: str, kind: str, bridge_id: str | None) -> None:
    if kind == NATIVE:
        if bridge_id is not None:
            raise Problem(422, "bridge_not_for_native", "A native gate connects by itself, without a bridge",
                          "Leave bridge_id out for a native gate.", field="bridge_id",
                          message_zh="原生闸机自行连接平台，不经过现场网关：请不要填写 bridge_id。")
        return
    bridge = session.get(Bridge, bridge_id) if bridge_id else None
    if bridge is None or bridge.project_id != project_id:
        raise Problem(422, "bridge_required" if bridge_id is None else "bridge_unknown",
                      "A vendor gate needs one of this project's site bridges",
                      "Register a site bridge on the project first, then give its id as bridge_id.",
                      field="bridge_id", message_zh="厂商闸机需经本项目的现场网关连接：请先登记现场网关，再填写其编号"
                                                    "（bridge_id）。")
