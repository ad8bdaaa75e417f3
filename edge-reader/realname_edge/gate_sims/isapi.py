"""A Hikvision ISAPI face terminal, simulated over real HTTP on 127.0.0.1: for the site bridge's tests and demos.

``IsapiTerminal`` serves a ``SimulatedDevice`` the way a DS-K1T terminal does: Digest authentication, the ISAPI
pages the bridge uses (persons, faces, the asynchronous delete, clock, listening host, event search), and the
listening-mode upload of each recognition (cached while the host is unreachable). The device's knobs work as on
the real thing: ``device.go_offline()`` closes the port (connections are refused), ``come_back()`` opens the same
port again; ``fill_up``, ``reject_photos`` and ``drift`` change its answers; ``latency_s`` slows every call.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from realname_edge.gate_sims import isapi_faces as faces
from realname_edge.gate_sims import isapi_people as people
from realname_edge.gate_sims import isapi_system as system
from realname_edge.gate_sims.device import SimulatedDevice
from realname_edge.gate_sims.isapi_auth import DigestGuard
from realname_edge.gate_sims.isapi_notify import EventUploader, capture_picture
from realname_edge.gate_sims.isapi_state import TerminalState
from realname_edge.gate_sims.isapi_wire import refusal

Handler = Callable[[TerminalState, Request, Mapping[str, Any]], Response]
AC, FD = "/ISAPI/AccessControl", "/ISAPI/Intelligent/FDLib"
ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/ISAPI/System/deviceInfo"): lambda s, r, a: system.device_info(s),
    ("GET", "/ISAPI/System/time"): lambda s, r, a: system.get_time(s),
    ("PUT", "/ISAPI/System/time"): lambda s, r, a: system.put_time(s, r),
    ("GET", f"{AC}/UserInfo/capabilities"): lambda s, r, a: people.capabilities(s),
    ("POST", f"{AC}/UserInfo/Record"): lambda s, r, a: people.put(s, r, "Record"),
    ("PUT", f"{AC}/UserInfo/Modify"): lambda s, r, a: people.put(s, r, "Modify"),
    ("PUT", f"{AC}/UserInfo/SetUp"): lambda s, r, a: people.put(s, r, "SetUp"),
    ("GET", f"{AC}/UserInfo/Count"): lambda s, r, a: people.count(s),
    ("POST", f"{AC}/UserInfo/Search"): lambda s, r, a: people.search(s, r),
    ("PUT", f"{AC}/UserInfoDetail/Delete"): lambda s, r, a: people.delete(s, r),
    ("GET", f"{AC}/UserInfoDetail/DeleteProcess"): lambda s, r, a: people.delete_process(s),
    ("GET", f"{FD}/capabilities"): lambda s, r, a: faces.capabilities(s),
    ("POST", f"{FD}/FaceDataRecord"): lambda s, r, a: faces.put_face(s, r, create_only=True),
    ("PUT", f"{FD}/FDSetUp"): lambda s, r, a: faces.put_face(s, r, create_only=False),
    ("PUT", f"{FD}/FDSearch/Delete"): lambda s, r, a: faces.delete_faces(s, r),
    ("POST", f"{AC}/AcsEvent"): lambda s, r, a: system.search_events(s, r, s.attendance_status),
    ("GET", "/ISAPI/Event/notification/httpHosts/<host_id>"): lambda s, r, a: system.get_host(s, a["host_id"]),
    ("PUT", "/ISAPI/Event/notification/httpHosts/<host_id>"): lambda s, r, a: system.put_host(s, r, a["host_id"]),
}


class _OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: no kept-alive connection outlives the port, so a switched-off terminal really is unreachable."""

    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: a test drives thousands of calls; failures show in the answers themselves."""


DEMO_PASSWORD = "Hik12345!"  # noqa: S105 - the simulator's default, as on a terminal fresh from the box
_URLS = Map([Rule(path, methods=[method], endpoint=(method, path)) for method, path in ROUTES])


class IsapiTerminal:
    def __init__(self, device: SimulatedDevice, *, username: str = "admin", password: str = DEMO_PASSWORD,
                 port: int = 0, latency_s: float = 0.0, attendance_status: str = "checkIn",
                 delete_delay_s: float = 0.3) -> None:
        self.device, self.latency_s = device, latency_s
        self.state = TerminalState(device, delete_delay_s=delete_delay_s, attendance_status=attendance_status)
        self._guard = DigestGuard(username, password)
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._serving: threading.Thread | None = None
        self._uploader = EventUploader(self.state)
        self._running = False
        self._watch: threading.Thread | None = None
        self._switch = threading.Lock()
        self._picture = capture_picture()
        self.calls: Counter[tuple[str, str]] = Counter()  # (method, path) of every authenticated call, for tests

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def events_waiting(self) -> int:
        """Recognitions the listening host has not taken yet."""
        return self._uploader.waiting

    def start(self) -> IsapiTerminal:
        self._running = True
        self._sync()
        self._uploader.start()
        self._watch = threading.Thread(target=self._watch_power, name=f"isapi-sim-{self.device.serial}", daemon=True)
        self._watch.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._watch is not None:
            self._watch.join(timeout=5)
        self._uploader.stop()
        self._close()

    def unsupport(self, path: str) -> None:
        """This firmware answers ``notSupport`` to ``path`` (e.g. ``/ISAPI/Intelligent/FDLib/FDSetUp``)."""
        self.state.unsupported.add(path)

    def punch(self, worker_key: str, attendance_status: str | None = None) -> int:
        """Someone shows their face: the device records the event and uploads it. Returns its serialNo."""
        event = self.device.recognise(worker_key)
        person = self.device.people.get(worker_key)
        picture = person.face if person is not None and person.face is not None else self._picture
        self._uploader.add(event, attendance_status or self.state.attendance_status, picture)
        return event.serial_no

    # --- the HTTP side --------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if self.latency_s:
            time.sleep(self.latency_s)
        response = self._guard.challenge() if not self._guard.admits(request) else self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        self.calls[request.method, request.path] += 1
        if request.path in self.state.unsupported:
            return refusal("not_support", request.path)
        try:
            endpoint, args = _URLS.bind_to_environ(request.environ).match()
        except HTTPException:  # NotFound / MethodNotAllowed: the firmware does not know this call
            return refusal("not_support", request.path)
        return ROUTES[endpoint](self.state, request, args)

    # --- power: a switched-off terminal refuses connections -------------------------------------------------

    def _watch_power(self) -> None:
        while self._running:
            self._sync()
            time.sleep(0.02)

    def _sync(self) -> None:
        with self._switch:
            if self.device.online and self._server is None and self._running:
                self._server = make_server("127.0.0.1", self._port, self, threaded=True,
                                           request_handler=_OneRequestPerConnection)
                self._port = self._server.server_port
                self._serving = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                                 name=f"isapi-sim-http-{self.device.serial}", daemon=True)
                self._serving.start()
            elif not self.device.online and self._server is not None:
                self._close_locked()

    def _close(self) -> None:
        with self._switch:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
