"""Broker credentials of a site bridge or a native gate: issued again (rotated) or revoked (R23).

Rotating keeps the account and gives it a new password; connections made with the old one are closed. Revoking
deletes the account (and its command queue); issuing after a revocation makes a new account, and the gates it
drives are enabled again for the whitelist engine, which sends them everything (a new queue holds nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from realname_attendance import device_events, punch_keys
from realname_attendance.adapters.device_broker import Credentials, DeviceBroker
from realname_attendance.bridges import BRIDGE, gates_behind
from realname_attendance.device_access import D, managed
from realname_attendance.gates import GATE
from realname_attendance.models import OUTBOX, Bridge, Gate
from realname_kit.audit import record_audit
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow


def issue(session: Session, device_broker: Callable[[], DeviceBroker], kind: type[D],
          device_id: str, *, keyring: Keyring) -> tuple[D, Credentials]:
    """``keyring``: seals the HTTPS punch signing key derived from the new password (``punch_keys``)."""
    caller, device = managed(session, kind, device_id)
    _native_only(device)
    broker = device_broker()  # no gate broker: 409 no_broker
    device.credentials_issued_at, device.version = utcnow(), device.version + 1
    if device.account is not None:
        action, credentials = "rotated", broker.rotate(device.account)
    else:
        device.account = broker.new_account(BRIDGE if isinstance(device, Bridge) else GATE)
        session.flush()
        action, credentials = "issued", broker.open(device.account)
        for gate in _driven(session, device):
            device_events.enabled(session, gate)
    punch_keys.keep_key(keyring, device, credentials.password)
    record_audit(session, OUTBOX, action=f"{_name(device)}.credentials_{action}", actor=caller, subject=device.id,
                 details={"project_id": device.project_id, "account": device.account})
    return device, credentials


def revoke(session: Session, device_broker: Callable[[], DeviceBroker], kind: type[D], device_id: str) -> None:
    """The account is deleted: the broker refuses it from now on. Revoking twice changes nothing."""
    caller, device = managed(session, kind, device_id)
    _native_only(device)
    if device.account is None:
        return
    account, device.account, device.version = device.account, None, device.version + 1
    punch_keys.forget_key(device)
    device_broker().close(account)
    record_audit(session, OUTBOX, action=f"{_name(device)}.credentials_revoked", actor=caller, subject=device.id,
                 details={"project_id": device.project_id, "account": account})


def _driven(session: Session, device: Bridge | Gate) -> list[Gate]:
    if isinstance(device, Bridge):
        return gates_behind(session, device.id) if device.enabled else []
    return [device] if device.enabled else []


def _name(device: Bridge | Gate) -> str:
    return "bridge" if isinstance(device, Bridge) else "gate"


def _native_only(device: Bridge | Gate) -> None:
    if isinstance(device, Gate) and device.bridge_id is not None:
        raise Problem(409, "credentials_of_the_bridge", "This gate has no credentials of its own",
                      "A vendor gate is driven by its site bridge: issue or revoke the bridge's credentials.",
                      gate_id=device.id, bridge_id=device.bridge_id,
                      message_zh="该闸机没有自己的消息服务账号，由现场网关代为连接：请对其现场网关签发或吊销账号。")
