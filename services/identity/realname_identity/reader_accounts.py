"""Giving an employer's edge-readers broker accounts of their own, and taking them back.

An account comes with a password and a sealing key (R4: its reader seals every card with it), both shown once.
The key is kept under the data keyring; a new key is a new account, and revoking the account ends its key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_codes.card_seal import new_seal_key
from realname_identity.models import OUTBOX, SEAL_KEY_CONTEXT, ReaderAccount
from realname_kit.audit import record_audit
from realname_kit.auth import Caller
from realname_kit.bus.broker_accounts import BrokerAccounts, BrokerAdminUnavailable, Permissions, TopicPermission
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem
from realname_kit.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class NewAccount:
    account: ReaderAccount
    password: str
    seal_key: str
    amqp_url: str


def open_account(session: Session, broker: BrokerAccounts, keyring: Keyring, caller: Caller, *, amqp_url: str,
                 exchange: str, prefix: str = "") -> NewAccount:
    """A new account for one reader PC: the password and the sealing key are shown now and never again.

    ``prefix``: the bus prefix, so that the accounts of one installation (or test run) can be told apart.
    """
    assert caller.enterprise_id is not None
    username = f"{prefix}edge-{caller.enterprise_id[:8]}-{secrets.token_hex(4)}"
    password, seal_key = secrets.token_urlsafe(24), new_seal_key()
    account = ReaderAccount(username=username, employer_id=caller.enterprise_id, created_at=utcnow(),
                            created_by=caller.subject or caller.enterprise_id,
                            seal_key_enc=keyring.encrypt(seal_key, context=SEAL_KEY_CONTEXT))
    session.add(account)
    session.flush()
    # last: a failure rolls the row back
    _broker(lambda: broker.create(username, password, reader_permissions(exchange)))
    record_audit(session, OUTBOX, action="account.created", actor=caller, subject=username,
                 details={"kind": "edge_reader"})
    return NewAccount(account, password, seal_key, _reader_url(amqp_url, username, password))


def reader_permissions(exchange: str) -> Permissions:
    """A reader may publish card reads to the edge exchange, with the routing key ``card.read`` only, and may
    neither declare nor read anything."""
    return Permissions(write=f"^{re.escape(exchange)}$", topics=(TopicPermission(exchange, write=r"^card\.read$"),))


def close_account(session: Session, broker: BrokerAccounts, caller: Caller, username: str) -> None:
    account = session.get(ReaderAccount, username, with_for_update=True)
    if account is None or not caller.acts_for(account.employer_id):
        raise Problem(404, "reader_account_not_found", "No reader account of yours has this name",
                      message_zh="找不到贵单位这个名称的读卡终端账号：请核对名称。")
    if account.revoked_at is not None:
        return
    account.revoked_at = utcnow()
    _broker(lambda: broker.remove(username))
    record_audit(session, OUTBOX, action="account.disabled", actor=caller, subject=username,
                 details={"kind": "edge_reader"})


def accounts_of(session: Session, employer_id: str) -> list[ReaderAccount]:
    return list(session.scalars(select(ReaderAccount).where(ReaderAccount.employer_id == employer_id)
                                .order_by(ReaderAccount.created_at)))


def _broker(act: Callable[[], None]) -> None:
    try:
        act()
    except BrokerAdminUnavailable as exc:
        raise Problem(503, "broker_admin_unavailable", "The message broker could not change reader accounts now",
                      "Try again in a minute; if it keeps failing, the operators should check that RabbitMQ's "
                      "management plugin is enabled.",
                      message_zh="消息服务暂时无法修改读卡终端账号：请一分钟后重试；一直不行，请运维人员检查 RabbitMQ "
                                 "管理插件是否已启用。") from exc


def _reader_url(amqp_url: str, username: str, password: str) -> str:
    parts = urlsplit(amqp_url)
    host = f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}"
    return f"{parts.scheme or 'amqp'}://{quote(username, safe='')}:{quote(password, safe='')}@{host}{parts.path or '/'}"
