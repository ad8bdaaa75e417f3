"""What the site bridge asks of a vendor gate's driver, and what a driver hands back.

A driver speaks one gate's own protocol (Hikvision ISAPI: the bridge calls the device; ZKTeco PUSH: the device
polls the bridge). The bridge hands it commands (``realname_codes.gate_protocol.Command``) and never waits for
the outcome: the driver reports it through the sink, as the device answers, which for a polling device is later.

The sink is durable: when ``acknowledged``/``punched``/``reported`` returns, the message is in the bridge's spool
and will reach the platform. A driver therefore tells its device "taken" (ZKTeco ``OK:<n>``, ISAPI HTTP 200) only
after the sink has returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from realname_codes.gate_protocol import Ack, Command, Punch, Report

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class GateConfig:
    """One gate of the bridge's configuration file.

    ``address``: ``http://host:port`` of an ISAPI device (unused for ZKTeco, which calls in).
    ``options``: driver-specific settings from the file (e.g. ``door_no``, ``fdid``, ``timeout``).
    """

    serial: str
    kind: str  # hikvision-isapi | zkteco-push
    direction: str = "both"
    address: str = ""
    username: str = ""
    password: str = field(default="", repr=False)  # never in a log line
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem the doctor names: ``code`` is one of FINDINGS; the words say what to do, in both languages."""

    serial: str
    code: str
    message: str
    message_zh: str


# The doctor's codes for a gate (broker_unreachable is the bridge's own).
FINDINGS = ("unreachable", "credentials_refused", "clock_off", "full", "unsupported_firmware", "not_polling",
            "broker_unreachable")


class GateSink(Protocol):
    """Where a driver hands what it learned; each call returns once the message is safe in the spool."""

    def acknowledged(self, ack: Ack) -> None: ...

    def acknowledged_all(self, acks: list[Ack]) -> None:
        """Several at once, in one durable write (a device that answered a batch of commands in one request)."""

    def punched(self, punches: list[Punch]) -> None: ...

    def reported(self, report: Report) -> None: ...


class GateDriver(Protocol):
    config: GateConfig

    def start(self, sink: GateSink) -> None:
        """Begin: threads of its own may run until ``stop``; a device that is down is not an error here."""

    def submit(self, command: Command) -> None:
        """Take a command for this device; its outcome arrives later through ``sink.acknowledged``."""

    def check(self) -> list[Finding]:
        """Talk to the device now and name every problem found (empty: healthy). Used by ``doctor``."""

    def stop(self) -> None: ...
