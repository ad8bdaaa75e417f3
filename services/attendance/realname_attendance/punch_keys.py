"""The key a device signs its HTTPS punches with (``realname_codes.punch_signing``), and checking a signature.

The key is derived from the broker password when it is issued or rotated, and kept sealed with the data keyring
(the password itself is kept nowhere). Rotating replaces it and revoking removes it, in the same transaction as the
broker change, so the old credential stops at once on HTTPS as on AMQP. A device whose credentials were issued
before HTTPS punches existed has no key: rotating its credentials gives it one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_attendance.models import BRIDGE_PUNCH_KEY_CONTEXT, GATE_PUNCH_KEY_CONTEXT, Bridge, Gate
from realname_codes.punch_signing import (
    ACCOUNT_HEADER,
    REPLAY_WINDOW_S,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_matches,
    signing_key,
    within_window,
)
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import open_bytes, seal_bytes
from realname_kit.problems import Problem


@dataclass(frozen=True, slots=True)
class Signer:
    """The broker account whose key signed the request: a native gate's or a site bridge's."""

    account: str


def keep_key(keyring: Keyring, device: Bridge | Gate, password: str) -> None:
    device.punch_key_enc = seal_bytes(keyring, signing_key(password), _context(device))


def forget_key(device: Bridge | Gate) -> None:
    device.punch_key_enc = None


def signer(session: Session, keyring: Keyring, headers: dict[str, str], body: bytes, now: float) -> Signer:
    """The account that signed ``body``; 401 otherwise (the same words whatever was wrong with the key, so that a
    caller learns nothing about which accounts exist)."""
    account, stamp, claimed = (headers.get(h, "") for h in (ACCOUNT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not (account and stamp and claimed):
        raise _refused("signature_missing", "The request is not signed",
                       f"Send {ACCOUNT_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}; a user's token opens "
                       "nothing here.",
                       "请求未签名：请带上设备账号、时间戳和签名三个请求头；用户登录凭证不能用于上传打卡。")
    if not within_window(stamp, now):
        raise _refused("signature_stale", "The signature's timestamp is too far from the platform's clock",
                       f"Sign with the current Unix time (within {REPLAY_WINDOW_S} s); set the device's clock.",
                       f"签名时间与平台时间相差超过 {REPLAY_WINDOW_S} 秒：请校准设备时钟后用当前时间重新签名。")
    device = _device_of(session, account[:100])
    if device is None or device.punch_key_enc is None or not signature_matches(
            open_bytes(keyring, device.punch_key_enc, _context(device)), stamp, body, claimed):
        raise _refused("signature_invalid", "The signature does not match",
                       "Sign the exact body with the key derived from the device's current password; after a "
                       "rotation use the new one. Credentials issued before HTTPS punches must be rotated once.",
                       "签名不对：请用设备当前密码派生的密钥对原始请求体签名；密码轮换后请用新密码；"
                       "在支持 HTTPS 上传之前签发的账号需先轮换一次密码。")
    return Signer(account)


def _device_of(session: Session, account: str) -> Bridge | Gate | None:
    gate = session.scalars(select(Gate).where(Gate.account == account)).first()
    return gate if gate is not None else session.scalars(select(Bridge).where(Bridge.account == account)).first()


def _context(device: Bridge | Gate) -> str:
    return BRIDGE_PUNCH_KEY_CONTEXT if isinstance(device, Bridge) else GATE_PUNCH_KEY_CONTEXT


def _refused(reason: str, title: str, detail: str, message_zh: str) -> Problem:
    return Problem(401, reason, title, detail, message_zh=message_zh)
