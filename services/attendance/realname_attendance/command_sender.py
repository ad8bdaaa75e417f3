"""Commands onto the gates' queues: the commands exchange, routing key = the target's account, with priority,
persistent, with publisher confirms. Each target's queue is declared (idempotently) before its first command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kombu import Connection, Exchange, Queue

from realname_codes.gate_protocol import (
    COMMAND,
    Command,
    command_queue,
    command_queue_arguments,
    commands_exchange,
    encode,
)
from realname_kit.bus.confirming_publisher import ConfirmingPublisher, OutgoingMessage


class SendsCommands(Protocol):
    def send(self, commands: Sequence[tuple[str, Command]]) -> None: ...


@dataclass
class CommandSender:
    publisher: ConfirmingPublisher
    amqp_url: str
    prefix: str = ""
    _declared: set[str] = field(default_factory=set)

    def send(self, commands: Sequence[tuple[str, Command]]) -> None:
        """Publish ``(target, command)`` in order; PublishFailed unless the broker confirmed every one."""
        if not commands:
            return
        self._declare({target for target, _ in commands})
        self.publisher.publish([self._message(target, command) for target, command in commands])

    def _message(self, target: str, command: Command) -> OutgoingMessage:
        return OutgoingMessage(exchange=commands_exchange(self.prefix), routing_key=target,
                               body=encode(command, source="attendance"), message_id=command.command_id,
                               type=COMMAND, priority=command.priority)

    def _declare(self, targets: set[str]) -> None:
        """Once per process and target (the devices part declares it too when it issues the credentials): a
        command routed to a queue not yet there would be dropped by the exchange, confirmed all the same."""
        fresh = targets - self._declared
        if not fresh:
            return
        exchange = Exchange(commands_exchange(self.prefix), type="direct", durable=True)
        with Connection(self.amqp_url, connect_timeout=10) as conn:
            channel = conn.default_channel
            exchange(channel).declare()
            for target in sorted(fresh):
                Queue(command_queue(target, self.prefix), exchange=exchange, routing_key=target, durable=True,
                      queue_arguments=command_queue_arguments())(channel).declare()
        self._declared |= fresh
