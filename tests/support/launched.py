"""The launcher started as a user would (``./realname up``), and the calls a user's client makes first."""

from __future__ import annotations

import base64
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import requests

from realname_gateway.certs.devca import sign_challenge
from tests.support.infra import free_port
from tests.support.stack import eventually

ROOT = Path(__file__).resolve().parents[2]
HTTP_DATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")


class Launched:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        # The gateway's internal metrics port too: runs never meet on a port. No demo site, and in all-in-one mode
        # no gate broker, unless the test asks (tests/e2e/test_demo_site.py): runs never share the broker's
        # unprefixed gate queues, and start as fast as before.
        env = {"REALNAME_GATEWAY_METRICS_PORT": str(free_port()), "REALNAME_DEMO_SITE": "off",
               "REALNAME_GATE_AMQP_URL": "", **env}
        self.log, self.env = log, env
        self.data_dir = Path(env["REALNAME_DATA_DIR"])
        self.url = f"http://127.0.0.1:{env['REALNAME_GATEWAY_PORT']}"
        self.metrics_url = f"http://127.0.0.1:{env['REALNAME_GATEWAY_METRICS_PORT']}/metrics"
        self.proc = subprocess.Popen([str(ROOT / "realname"), *args], env=env, cwd=ROOT,
                                     stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90) -> None:
        def ready() -> bool:
            assert self.proc.poll() is None, self.output()
            try:
                return requests.get(f"{self.url}/healthz", timeout=10).status_code == 200
            except requests.RequestException:
                return False
        eventually(ready, timeout=timeout, interval=0.3)

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    def output(self, tail: int = 5000) -> str:
        text = self.log.read_text(errors="replace")
        return text[-tail:] if tail else text


def service_ports() -> dict[str, str]:
    """Free ports for every service and the authority's simulator (runs never meet on a port)."""
    ports = {f"REALNAME_{s.upper()}_URL": f"http://127.0.0.1:{free_port()}"
             for s in ("identity", "registry", "assignment", "attendance", "reporting")}
    return {**ports, "REALNAME_AUTHORITY_SIM_PORT": str(free_port())}


def certificate_login(gateway: str, cert_pem: bytes, key_pem: bytes, kind: str | None = None) -> requests.Response:
    nonce = requests.post(f"{gateway}/api/v1/auth/challenge", timeout=10).json()["nonce"]
    signature = base64.b64encode(sign_challenge(key_pem, nonce)).decode()
    body = {"certificate": cert_pem.decode(), "nonce": nonce, "signature": signature,
            **({"kind": kind} if kind else {})}
    return requests.post(f"{gateway}/api/v1/auth/login/certificate", json=body, timeout=20,
                         headers={"X-Correlation-ID": "e2e-login-1"})


class ApiClient:
    """One caller of the platform's HTTP API (logged in, or anonymous), with a connection of its own."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base, self.token, self.session = base, token, requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Every JSON answer of a flow is read for Flask's own date form: dates are ISO 8601 everywhere."""
        response = self.session.request(method, f"{self.base}{path}", timeout=60, **kwargs)
        if "json" in response.headers.get("Content-Type", ""):
            assert not HTTP_DATE.search(response.text), f"{method} {path}: {response.text[:500]}"
        return response

