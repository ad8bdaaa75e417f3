"""What a simulated ISAPI terminal keeps beside the shared device core: its protocol-only state."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from realname_edge.gate_sims.device import SimulatedDevice


@dataclass
class HttpHost:
    """The listening host the device posts its events to (``httpHosts/<id>``)."""

    id: str = "1"
    url: str = ""
    ip_address: str = ""
    port_no: int = 80

    @property
    def target(self) -> str:
        return f"http://{self.ip_address}:{self.port_no}{self.url}" if self.ip_address else ""


@dataclass
class TerminalState:
    device: SimulatedDevice
    attendance_status: str = "checkIn"  # what its attendance mode stamps on an event (checkIn / checkOut)
    delete_delay_s: float = 0.3  # how long an asynchronous delete keeps DeleteProcess at "processing"
    unsupported: set[str] = field(default_factory=set)  # paths this firmware answers with notSupport
    host: HttpHost = field(default_factory=HttpHost)
    deleting: int = 0  # deletes still running
    delete_failed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
