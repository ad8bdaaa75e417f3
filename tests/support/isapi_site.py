"""A site for the ISAPI driver's tests: an in-memory sink that records what the driver hands the bridge, and the
bridge's listening host (``IsapiListener`` served over real HTTP, which a test can take down and bring back)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server

from realname_codes.gate_protocol import Ack, Punch, Report
from realname_edge.gates.isapi import IsapiListener

WAIT = 20.0  # seconds; every wait polls, so a fast machine does not wait this long


def eventually(check: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@dataclass
class FakeSink:
    """The bridge's durable sink, in memory: what arrived, in the order it arrived."""

    acks: list[Ack] = field(default_factory=list)
    punches: list[Punch] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    refuse_punches: bool = False  # a spool that cannot take anything now
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self, ack: Ack) -> None:
        self.acknowledged_all([ack])

    def acknowledged_all(self, acks: list[Ack]) -> None:
        with self.lock:
            self.acks.extend(acks)

    def punched(self, punches: list[Punch]) -> None:
        if self.refuse_punches:
            raise OSError("spool full")
        with self.lock:
            self.punches.extend(punches)

    def reported(self, report: Report) -> None:
        with self.lock:
            self.reports.append(report)

    def ack_of(self, command_id: str, timeout: float = WAIT) -> Ack:
        assert eventually(lambda: any(a.command_id == command_id for a in list(self.acks)), timeout), command_id
        return next(a for a in list(self.acks) if a.command_id == command_id)


class ListenerHost:
    """``IsapiListener`` mounted at ``/isapi/events`` the way the bridge mounts it, on a port that stays the same."""

    def __init__(self, listener: IsapiListener, port: int) -> None:
        self.listener, self.port = listener, port
        self._server: BaseWSGIServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/isapi/events"

    def up(self) -> ListenerHost:
        app = DispatcherMiddleware(NotFound(), {"/isapi/events": self.listener})  # as the bridge mounts it
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
