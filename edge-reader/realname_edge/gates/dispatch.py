"""Hands each command to the driver of its device; a command for a device this bridge does not drive is answered
at once with ``Ack(failed, unknown_device)``, and one a driver could not even take with ``device_error`` (worth
another try), so every command is answered."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from realname_codes.gate_protocol import DEVICE_ERROR, FAILED, UNKNOWN_DEVICE, Ack, Command
from realname_edge.gates.driver import GateDriver, GateSink

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, drivers: Mapping[str, GateDriver], sink: GateSink) -> None:
        self.drivers = drivers
        self.sink = sink

    def submit(self, command: Command) -> None:
        driver = self.drivers.get(command.device)
        if driver is None:
            log.warning("command %s for %r: no such gate in this bridge's configuration", command.command_id,
                        command.device)
            self.sink.acknowledged(failure(command, UNKNOWN_DEVICE, "the site bridge has no gate of this serial "
                                           "in its configuration"))
            return
        try:
            driver.submit(command)
        except Exception as exc:  # a driver bug must not stop the other gates' commands
            log.exception("the driver of %r did not take command %s", command.device, command.command_id)
            self.sink.acknowledged(failure(command, DEVICE_ERROR, f"the bridge's driver failed: {type(exc).__name__}"))


def failure(command: Command, reason: str, detail: str) -> Ack:
    return Ack(command_id=command.command_id, device=command.device, op=command.op, outcome=FAILED,
               sequence=command.sequence, worker_key=command.worker_key, reason=reason, detail=detail)
