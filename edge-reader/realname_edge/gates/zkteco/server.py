"""The bridge's ZKTeco PUSH ("iclock") server: a WSGI app mounted at ``/iclock``, each request routed by ``SN``.

``/cdata`` GET is the handshake, POST an upload (ATTLOG punches, or the records a query asked for); ``/getrequest``
is the poll for commands; ``/devicecmd`` the returns of commands; ``/ping`` a sign of life during long uploads.
A serial number not in the bridge's configuration is refused with 403 on every path: without the handshake's
options a terminal uploads nothing and only retries the handshake at its ErrorDelay, so it costs nothing, keeps its
records, and starts working as soon as someone adds it to the configuration. It is reported (``known=False``) at
most once a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.http import http_date
from werkzeug.wrappers import Request, Response

from realname_codes.gate_protocol import OFFLINE_AFTER_S, ZKTECO_PUSH, Report
from realname_edge.gates.driver import GateConfig, GateSink
from realname_edge.gates.zkteco.driver import ZkDriver
from realname_edge.gates.zkteco.health import REPORT_EVERY_S

log = logging.getLogger(__name__)
UNKNOWN_EVERY_S = 60.0


class ZkPushServer:
    def __init__(self, *, offline_after_s: float = OFFLINE_AFTER_S, report_every_s: float = REPORT_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.offline_after_s, self.report_every_s, self._clock = offline_after_s, report_every_s, clock
        self._drivers: dict[str, ZkDriver] = {}
        self._unknown_sink: GateSink | None = None
        self._unknown_told: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def driver_for(self, config: GateConfig) -> ZkDriver:
        with self._lock:
            driver = ZkDriver(config, offline_after_s=self.offline_after_s, report_every_s=self.report_every_s,
                              clock=self._clock)
            self._drivers[config.serial] = driver
            if self._watch is None:
                self._watch = threading.Thread(target=self._watch_devices, name="zkteco-watch", daemon=True)
                self._watch.start()
            return driver

    def on_unknown(self, sink: GateSink) -> None:
        self._unknown_sink = sink

    def close(self) -> None:
        self._stopping.set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self._answer(Request(environ))
        response.headers["Date"] = http_date(datetime.now(UTC))  # the terminal sets its clock from it
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        serial = request.args.get("SN", "").strip()
        if not serial:
            return _text("no SN", 400)
        driver = self._drivers.get(serial)
        if driver is None:
            self._refuse(serial)
            return _text("UNKNOWN DEVICE", 403)
        route = _ROUTES.get((request.path.rstrip("/"), request.method))
        return route(driver, request) if route is not None else _text("NOT FOUND", 404)

    @staticmethod
    def _handshake(driver: ZkDriver, request: Request) -> Response:
        return _text(driver.handshake(request.args.get("language"), request.args.get("pushver")))

    @staticmethod
    def _poll(driver: ZkDriver, request: Request) -> Response:
        taken = driver.poll(request.args.get("INFO"))
        return _text("".join(line + "\r\n" for line in taken) if taken else "OK", encoding=driver.encoding)

    @staticmethod
    def _returns(driver: ZkDriver, request: Request) -> Response:
        driver.returns(request.get_data().decode(driver.encoding, errors="replace"))
        return _text("OK")

    @staticmethod
    def _ping(driver: ZkDriver, request: Request) -> Response:
        driver.ping()
        return _text("OK")

    @staticmethod
    def _upload(driver: ZkDriver, request: Request) -> Response:
        table = request.args.get("table", "").upper()
        body = request.get_data().decode(driver.encoding, errors="replace")
        if table == "ATTLOG":
            taken = driver.attlog(body, request.args.get("Stamp"))
            if taken is None:
                return _text("bridge not started", 503)  # the terminal keeps the records and sends them again
            return _text(f"OK:{taken}")
        driver.records(table, body)  # OPERLOG, USERINFO, BIOPHOTO (answers to queries); ATTPHOTO and others: kept
        return _text("OK")

    def _refuse(self, serial: str) -> None:
        now, sink = self._clock(), self._unknown_sink
        with self._lock:
            told = self._unknown_told.get(serial)
            if told is not None and now - told < UNKNOWN_EVERY_S:
                return
            self._unknown_told[serial] = now
        log.warning("refused a ZKTeco terminal not in this bridge's configuration: %s", serial)
        if sink is not None:
            sink.reported(Report(device=serial, contact_at=datetime.now(UTC).isoformat(timespec="seconds"),
                                 known=False, kind=ZKTECO_PUSH))

    def _watch_devices(self) -> None:
        interval = max(0.05, min(1.0, self.offline_after_s / 4))
        while not self._stopping.wait(interval):
            for driver in list(self._drivers.values()):
                try:
                    driver.tick()
                except Exception:  # one device's sink failing must not stop watching the others
                    log.exception("watching %s", driver.config.serial)


_ROUTES: dict[tuple[str, str], Callable[[ZkDriver, Request], Response]] = {
    ("/cdata", "GET"): ZkPushServer._handshake, ("/cdata", "POST"): ZkPushServer._upload,
    ("/getrequest", "GET"): ZkPushServer._poll, ("/devicecmd", "POST"): ZkPushServer._returns,
    ("/ping", "GET"): ZkPushServer._ping}


def _text(body: str, status: int = 200, encoding: str = "utf-8") -> Response:
    return Response(body.encode(encoding, errors="replace"), status=status,
                    content_type=f"text/plain; charset={encoding}")
