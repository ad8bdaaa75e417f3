"""gunicorn settings of every service web process (``-c python:realname_kit.gunicorn_conf``)."""

from __future__ import annotations

import os
from typing import Any

from realname_kit.logs import configure_logging, gunicorn_logconfig
from realname_kit.settings import Settings

_settings = Settings.from_env()
_static = {"service": _settings.env.get("REALNAME_SERVICE_NAME", "web"), "process": "web"}
configure_logging(_settings.log_level, _settings.log_format, **_static)
logconfig_dict = gunicorn_logconfig(_settings.log_level, _settings.log_format, **_static)

workers = _settings.web_workers
worker_class = "gthread"
threads = 8
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app logs each request with its correlation id


def child_exit(_server: Any, worker: Any) -> None:
    # A dead worker's metric files must be merged away, or /metrics keeps its gauges for ever.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
