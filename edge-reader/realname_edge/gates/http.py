"""The bridge's HTTP server for the devices on the site's LAN (werkzeug, a thread per request): the apps of the
drivers' kinds mounted at their paths (``kinds.Site.mounts``); anything else answers 404."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server

from realname_edge.gates.driver import WsgiApp

log = logging.getLogger(__name__)


class SiteServer:
    def __init__(self, host: str, port: int, mounts: Mapping[str, WsgiApp]) -> None:
        app = DispatcherMiddleware(NotFound(), dict(mounts))
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="bridge-http", daemon=True)
        self.port = self._server.port

    def start(self) -> None:
        self._thread.start()
        log.info("listening for the gates on port %d", self.port)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
