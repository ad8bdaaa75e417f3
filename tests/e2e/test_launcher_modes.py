"""The launcher started as a user would, in both modes: an enterprise registered through the gateway
is visible in the assignment service's own table, through its API, within two seconds."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from realname_gateway.certs.devca import issue
from tests.support.infra import free_port
from tests.support.launched import Launched, certificate_login, service_ports
from tests.support.stack import Stack, eventually

ROOT = Path(__file__).resolve().parents[2]
USCC = "9131000013221158XC"


@pytest.fixture
def distributed(stack: Stack, tmp_path: Path) -> Iterator[Launched]:
    env = stack.env(REALNAME_GATEWAY_PORT=str(free_port()), **service_ports())
    launched = Launched(["up", "--distributed", "--scale", "assignment-consumer=2",
                         "--scale", "registry-web=2"], env, tmp_path / "launcher.log")
    yield launched
    if launched.proc.poll() is None:
        launched.proc.kill()
        launched.proc.wait()


def register_and_find(launched: Launched) -> None:
    """An enterprise logs in with its certificate (its first login registers it, R31); assignment knows it."""
    gateway = launched.url
    cert_pem, key_pem = issue(launched.data_dir / "dev-ca", uscc=USCC, enterprise_name="上海建工劳务有限公司",
                              operator="张三")
    created = certificate_login(gateway, cert_pem, key_pem, kind="labour")
    assert created.status_code == 200, created.text
    assert created.headers["X-Correlation-ID"] == "e2e-login-1"
    enterprise_id, token = created.json()["enterprise_id"], created.json()["access_token"]
    started = time.monotonic()
    party = eventually(lambda: _found(f"{gateway}/api/v1/assignment/parties/{enterprise_id}", token),
                       timeout=2.0, interval=0.05)
    assert time.monotonic() - started < 2.0
    assert party["uscc"] == USCC and party["unit_type"] == "006"
    again = certificate_login(gateway, cert_pem, key_pem)
    assert again.status_code == 200 and again.json()["enterprise_id"] == enterprise_id  # registered once
    anonymous = requests.post(f"{gateway}/api/v1/registry/enterprises", timeout=10,
                              json={"name": "冒名公司", "uscc": USCC, "kind": "labour"})
    assert anonymous.status_code == 401
    assert anonymous.headers["Content-Type"] == "application/problem+json"
    assert anonymous.headers["X-Content-Type-Options"] == "nosniff"
    the_regulator_sees_the_logins_in_the_audit_log(launched, enterprise_id)


def the_regulator_sees_the_logins_in_the_audit_log(launched: Launched, enterprise_id: str) -> None:
    made = subprocess.run([str(ROOT / "realname"), "admin", "create-regulator", "--username", "inspector.he",
                           "--display-name", "何监督", "--password-stdin"], input=b"correct horse 42\n",
                          env=launched.env, cwd=ROOT, capture_output=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr.decode()[-2000:]
    login = requests.post(f"{launched.url}/api/v1/auth/login/password", timeout=20,
                          json={"username": "inspector.he", "password": "correct horse 42"})
    assert login.status_code == 200, login.text
    regulator = {"Authorization": f"Bearer {login.json()['access_token']}"}

    def logins() -> list[dict[str, object]] | None:
        page = requests.get(f"{launched.url}/api/v1/reporting/audit?action=auth.login.certificate",
                            headers=regulator, timeout=10).json()
        items: list[dict[str, object]] = page["items"]
        return items if len(items) == 2 else None
    entries = eventually(logins, timeout=10)
    assert {e["subject"] for e in entries} == {enterprise_id}


def only_its_user_can_read(data_dir: Path) -> None:
    """Databases and their -wal/-shm, keys, the dev CA, dead letters: files 0600, folders 0700 (R4)."""
    loose = []
    for path in [data_dir, *data_dir.rglob("*")]:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:  # a -shm file gone at a checkpoint
            continue
        if not path.is_symlink() and mode != (0o700 if path.is_dir() else 0o600):
            loose.append(f"{path.relative_to(data_dir)}: {oct(mode)}")
    assert loose == []


def _found(url: str, token: str) -> dict[str, object] | None:
    response = requests.get(url, timeout=2, headers={"Authorization": f"Bearer {token}"})
    return response.json() if response.status_code == 200 else None


def test_all_in_one_mode_carries_an_enterprise_from_registry_to_assignment(all_in_one: Launched) -> None:
    all_in_one.wait_ready()
    register_and_find(all_in_one)
    only_its_user_can_read(all_in_one.data_dir)  # after a start and writes by the platform and by admin
    assert len(list(all_in_one.data_dir.glob("*.db-wal"))) >= 4  # SQLite's journals were among those checked
    # One process: everything is on the gateway's internal metrics port.
    the_bus_is_counted(all_in_one, {"registry": all_in_one.metrics_url, "assignment": all_in_one.metrics_url,
                                    "identity": all_in_one.metrics_url, "gateway": all_in_one.metrics_url}, "")
    assert f"metrics: {all_in_one.metrics_url}" in all_in_one.output()
    document = requests.get(f"{all_in_one.url}/openapi.json", timeout=10).json()
    assert "/api/v1/registry/enterprises" in document["paths"]
    assert "/api/v1/assignment/parties/{enterprise_id}" in document["paths"]
    assert requests.get(f"{all_in_one.url}/docs", timeout=10).status_code == 200
    assert all_in_one.interrupt() == 0, all_in_one.output()
    assert "realname stopped." in all_in_one.output()
    assert (Path(all_in_one.log.parent) / "var" / "registry.db").exists()
    only_its_user_can_read(all_in_one.data_dir)


def test_distributed_mode_carries_an_enterprise_from_registry_to_assignment(
        distributed: Launched, stack: Stack) -> None:
    distributed.wait_ready(timeout=120)
    register_and_find(distributed)
    health = requests.get(f"{distributed.url}/healthz", timeout=10).json()
    assert set(health["services"]) == {"identity", "registry", "assignment", "attendance", "reporting"}
    registry = distributed.env["REALNAME_REGISTRY_URL"]
    for _ in range(20):
        assert requests.get(f"{registry}/api/v1/registry/enterprises", timeout=10).status_code == 401
    metrics = requests.get(f"{registry}/metrics", timeout=10).text
    assert _requests_counted(metrics, "/api/v1/registry/enterprises", "GET") >= 20  # over both workers
    # Each service's web sums its consumer's and relay's counters; the gateway's are on its internal port.
    urls = {s: f"{distributed.env[f'REALNAME_{s.upper()}_URL']}/metrics"
            for s in ("registry", "assignment", "identity")}
    the_bus_is_counted(distributed, {**urls, "gateway": distributed.metrics_url}, stack.settings.bus_prefix)
    assert distributed.metrics_url in distributed.output(tail=0)
    assert distributed.interrupt() == 0, distributed.output()
    output = distributed.output(tail=0)
    assert "realname stopped." in output
    # web and relay of 5 services and the gateway; consumers: 2 of assignment, 1 each of identity, registry,
    # attendance and reporting; the identity authority's simulator
    exited = [line for line in output.splitlines() if "process_exited" in line or "process_killed" in line]
    assert output.count("process_started") == 6 + 6 + 2 + 1 + 1 + 1 + 1 + 1, exited


def the_bus_is_counted(launched: Launched, scrape: dict[str, str], prefix: str) -> None:
    """After an enterprise's registration: relayed by the registry, handled by assignment, no dead letters."""
    assert requests.get(f"{launched.url}/metrics", timeout=10).status_code == 404  # never on the public port

    def figures(service: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = requests.get(scrape[service], timeout=10).text
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}
    queue = f"{prefix}assignment.enterprises"
    eventually(lambda: figures("registry").get(
        ("realname_events_relayed_total", (("service", "registry"),)), 0) >= 1, timeout=10)
    assignment = eventually(lambda: (f := figures("assignment")).get(
        ("realname_messages_total", (("outcome", "handled"), ("queue", queue)))) and f, timeout=10)
    assert assignment[("realname_dead_letters", (("queue", f"{queue}.dead"),))] == 0
    assert ("realname_outbox_lag_seconds", (("service", "assignment"),)) in assignment
    assert ("realname_identity_pending_reads", ()) in figures("identity")
    assert figures("gateway").get(("realname_events_relayed_total", (("service", "gateway"),)), 0) >= 1  # audit


def _requests_counted(metrics: str, endpoint: str, method: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if (line.startswith("realname_http_requests_total{") and f'endpoint="{endpoint}"' in line
                and f'method="{method}"' in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_processes_stop_when_the_distributed_launcher_is_killed(distributed: Launched) -> None:
    distributed.wait_ready(timeout=120)
    pids = [json.loads(line)["pid"] for line in distributed.output(tail=0).splitlines()
            if line.startswith("{") and '"process_started"' in line]
    assert len(pids) == 19  # the platform's processes (attendance's consumer among them) and the authority's simulator
    distributed.proc.send_signal(signal.SIGKILL)
    distributed.proc.wait()
    eventually(lambda: not any(_alive(pid) for pid in pids), timeout=30)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
