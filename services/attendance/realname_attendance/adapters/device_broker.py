"""Broker accounts of gates and site bridges (R23): each may publish its own messages and read its own commands.

An account may write ``gate.punched``/``gate.acknowledged``/``gate.reported`` to ``<prefix>gates.events`` and read
only its command queue ``<prefix>gates.commands.<account>``; it declares nothing, so the queue is declared here,
through the management API, when the account is made. RabbitMQ refuses a message whose ``user_id`` is not the
connection's user: what a message claims to come from is what the broker vouches for.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote, urlsplit

from realname_attendance.settings import gate_broker_url
from realname_codes.gate_protocol import (
    INBOUND_TYPES,
    command_queue,
    command_queue_arguments,
    commands_exchange,
    exchange_in,
)
from realname_kit.bus.broker_accounts import BrokerAdminUnavailable, Permissions, RabbitManagement, TopicPermission
from realname_kit.problems import Problem
from realname_kit.settings import Settings

T = TypeVar("T")
_INBOUND = "^(" + "|".join(re.escape(t) for t in INBOUND_TYPES) + ")$"  # ^(gate\.punched|…)$


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a device is configured with; the password is shown once and kept nowhere."""

    account: str
    password: str
    amqp_url: str
    exchange: str
    command_queue: str


def device_permissions(account: str, prefix: str) -> Permissions:
    """Publish its own gate messages; read its own command queue; declare nothing."""
    events = exchange_in(prefix)
    return Permissions(configure="^$", write=f"^{re.escape(events)}$",
                       read=f"^{re.escape(command_queue(account, prefix))}$",
                       topics=(TopicPermission(events, write=_INBOUND),))


class DeviceBroker:
    """Makes, re-keys and removes device accounts; ``device_url``: the broker as devices reach it."""

    def __init__(self, management: RabbitManagement, prefix: str, device_url: str) -> None:
        self.management, self.prefix, self.device_url = management, prefix, device_url

    def new_account(self, kind: str) -> str:
        """``<prefix>gate-<8 hex>`` or ``<prefix>bridge-<8 hex>``: the prefix tells installations apart."""
        return f"{self.prefix}{kind}-{secrets.token_hex(4)}"

    def open(self, account: str) -> Credentials:
        password = _password()
        queue = command_queue(account, self.prefix)

        def make() -> None:
            self.management.create(account, password, device_permissions(account, self.prefix))
            self.management.declare_exchange(commands_exchange(self.prefix), "direct")
            self.management.declare_queue(queue, command_queue_arguments())
            self.management.bind(commands_exchange(self.prefix), queue, account)
        _broker(make)
        return self._credentials(account, password)

    def rotate(self, account: str) -> Credentials:
        """A new password; connections opened with the old one are closed, so it stops working at once."""
        password = _password()
        _broker(lambda: self.management.set_password(account, password))
        _broker(lambda: self.management.close_connections(account))
        return self._credentials(account, password)

    def close(self, account: str) -> None:
        """The account is deleted and its connections closed. Its command queue goes too: nobody can ever read it
        again (new credentials are a new account with a new queue), and what waited in it is sent again."""
        _broker(lambda: self.management.remove(account))
        _broker(lambda: self.management.close_connections(account))
        _broker(lambda: self.management.delete_queue(command_queue(account, self.prefix)))

    def _credentials(self, account: str, password: str) -> Credentials:
        return Credentials(account=account, password=password, amqp_url=_url(self.device_url, account, password),
                           exchange=exchange_in(self.prefix), command_queue=command_queue(account, self.prefix))


def _password() -> str:
    return secrets.token_urlsafe(24)


def _url(broker_url: str, username: str, password: str) -> str:
    parts = urlsplit(broker_url)
    host = f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}"
    login = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return f"{parts.scheme or 'amqp'}://{login}@{host}{parts.path or '/'}"


def _broker(act: Callable[[], T]) -> T:
    try:
        return act()
    except BrokerAdminUnavailable as exc:
        raise Problem(503, "broker_admin_unavailable", "The message broker could not change device accounts now",
                      "Try again in a minute; if it keeps failing, the operators should check that RabbitMQ's "
                      "management plugin is enabled.",
                      message_zh="消息服务暂时无法修改设备账号：请一分钟后重试；一直不行，请运维人员检查 "
                                 "RabbitMQ 管理插件是否已启用。") from exc


def device_broker_for(settings: Settings) -> DeviceBroker:
    """The device broker on the gate broker (REALNAME_GATE_AMQP_URL); 409 no_broker when the platform has none."""
    broker = gate_broker_url(settings)
    if not broker:
        raise Problem(409, "no_broker", "Gates and site bridges need the platform's message broker",
                      "This platform runs without a broker for gates: set REALNAME_GATE_AMQP_URL (all-in-one) or run "
                      "it distributed to connect devices.",
                      message_zh="平台没有供闸机使用的消息服务，不能连接闸机或现场网关：请设置 REALNAME_GATE_AMQP_URL"
                                 "（单机方式）或以分布式方式运行平台。")
    management = RabbitManagement.for_amqp(broker, settings.value("REALNAME_AMQP_MANAGEMENT_URL"))
    device_url = settings.value("REALNAME_ATTENDANCE_DEVICE_BROKER_URL") or broker
    return DeviceBroker(management, settings.bus_prefix, device_url)
