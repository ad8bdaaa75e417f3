"""Distributed mode: start every process, restart what dies, stop them all cleanly."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

from realname_kit.settings import SERVICES, Settings
from realname_launcher.demo_site.site import start_demo_site
from realname_launcher.platform import log, prepare
from realname_launcher.processes import ProcessKind, copies, process_kinds

_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    kind: ProcessKind
    index: int
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 1.0
    restart_at: float = 0.0
    restarts: int = field(default=0)

    @property
    def label(self) -> str:
        return f"{self.kind.name}.{self.index}"

    def start(self) -> None:
        self.popen = subprocess.Popen(self.kind.argv, env=self.env, start_new_session=True,
                                      preexec_fn=_die_with_the_launcher)  # noqa: PLW1509 (one thread)
        self.started = time.monotonic()
        log.info("process_started", process=self.label, pid=self.popen.pid)


def _die_with_the_launcher() -> None:
    """In the child before exec: SIGTERM when the launcher dies, even by SIGKILL (Linux ``PR_SET_PDEATHSIG``).

    Children run in sessions of their own (so a terminal's Ctrl-C reaches the launcher, which stops them
    in order); without this, a killed launcher would leave them running with nobody to stop them.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def run_distributed(settings: Settings, scale: dict[str, int]) -> int:
    prepare(settings)
    children = _children(settings, scale)
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    for child in children:
        child.start()
    url = f"http://{settings.gateway_host}:{settings.gateway_port}"
    print(f"realname is up (distributed, {len(children)} processes): {url}  "
          f"(API browser: {url}/docs; Ctrl-C stops)", flush=True)
    print(f"metrics: {metrics_urls(settings)}", flush=True)
    stop_demo = start_demo_site(settings, url)
    while not stopping:
        _restart_the_dead(children)
        time.sleep(0.3)
    stop_demo()  # its gates and bridge first, while the platform still answers them
    _stop_all(children)
    print("realname stopped.", flush=True)
    return 0


def metrics_urls(settings: Settings) -> str:
    """Where to scrape: each service's web (its consumer's and relay's counters included), and the gateway's
    internal port."""
    port = settings.value("REALNAME_GATEWAY_METRICS_PORT")
    urls = [f"{settings.service_url(s)}/metrics" for s in SERVICES]
    return " ".join(urls + ([f"http://{settings.gateway_host}:{port}/metrics"] if port else []))


def _children(settings: Settings, scale: dict[str, int]) -> list[Child]:
    metrics_root = settings.data_dir.resolve() / "metrics"
    jwks = f"http://{settings.gateway_host}:{settings.gateway_port}/api/v1/auth/jwks"
    shutil.rmtree(metrics_root, ignore_errors=True)
    children = []
    for kind in process_kinds(settings, scale):
        env = {**os.environ, **{k: v for k, v in settings.env.items() if k.startswith("REALNAME_")},
               "REALNAME_SERVICE_NAME": kind.service, "REALNAME_PROCESS": kind.role}
        if kind.service != "gateway" and not settings.auth_jwks_url:
            # Services learn the token-signing keys from the gateway, as they would on other machines.
            env["REALNAME_AUTH_JWKS_URL"] = jwks
        if kind.role != "simulator":
            # A service's web, consumer and relay count into one folder: its web's /metrics sums them all.
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_root / kind.service)
            (metrics_root / kind.service).mkdir(parents=True, exist_ok=True)
        if kind.role == "web" and kind.name in scale:
            env["REALNAME_WEB_WORKERS"] = str(scale[kind.name])
        children += [Child(kind, i, env) for i in range(copies(kind, scale))]
    return children


def _restart_the_dead(children: list[Child]) -> None:
    now = time.monotonic()
    for child in children:
        if child.popen is None:
            if now >= child.restart_at:
                child.start()
            continue
        code = child.popen.poll()
        if code is None:
            if now - child.started > 30:
                child.backoff = 1.0  # it has run a while: the next crash restarts quickly again
            continue
        child.popen = None
        child.restarts += 1
        child.restart_at = now + child.backoff
        log.warning("process_exited", process=child.label, code=code, restart_in=child.backoff)
        child.backoff = min(child.backoff * 2, 30.0)


def _stop_all(children: list[Child], grace: float = 20.0) -> None:
    running = [c for c in children if c.popen is not None and c.popen.poll() is None]
    for child in running:
        assert child.popen is not None
        child.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in running:
        assert child.popen is not None
        try:
            child.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("process_killed", process=child.label)
            os.killpg(child.popen.pid, signal.SIGKILL)
            child.popen.wait()
