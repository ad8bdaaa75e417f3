"""``./realname up`` starts the demo site in both modes: the printed gate-sync URL, read with the printed login,
shows the five demo workers synced on the native, ISAPI and ZKTeco gates; a second start on the same data reuses
the project, the bridge and the gates (their simulators, empty again, get everyone back); Ctrl-C leaves no bridge
process behind and the gateway's port free."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path
from typing import Any

import requests

from tests.support.infra import free_port
from tests.support.launched import Launched, service_ports
from tests.support.stack import Stack, eventually

WORKERS, KINDS = 5, {"native", "hikvision-isapi", "zkteco-push"}
LOGIN = re.compile(r"^demo site login \(its project account\): POST (\S+) (\{.*\})$", re.MULTILINE)
SYNC = re.compile(r"^demo site gate-sync: GET (\S+)$", re.MULTILINE)


def all_in_one_env(stack: Stack, directory: Path) -> dict[str, str]:
    """All-in-one on its own data dir and ports; its gate side on the test's broker, under the test's prefix."""
    env = {k: v for k, v in stack.env().items() if k not in ("REALNAME_DATABASE_URL", "REALNAME_AMQP_URL")}
    return {**env, "REALNAME_DATA_DIR": str(directory / "var"), "REALNAME_GATEWAY_PORT": str(free_port()),
            "REALNAME_AUTHORITY_SIM_PORT": str(free_port()), "REALNAME_GATE_AMQP_URL": stack.amqp,
            "REALNAME_DEMO_SITE": "on"}


def distributed_env(stack: Stack) -> dict[str, str]:
    return stack.env(REALNAME_GATEWAY_PORT=str(free_port()), REALNAME_DEMO_SITE="on", **service_ports())


def test_all_in_one_runs_the_demo_site_synced_and_reuses_it_on_the_next_start(stack: Stack, tmp_path: Path) -> None:
    env = all_in_one_env(stack, tmp_path)
    first = started(["up"], env, tmp_path / "first.log")
    project = every_demo_worker_is_synced_on_every_gate(first)
    stopped_without_orphans(first)

    again = started(["up"], env, tmp_path / "again.log")
    assert every_demo_worker_is_synced_on_every_gate(again) == project
    the_site_was_not_made_twice(again, project)
    stopped_without_orphans(again)


def test_distributed_mode_runs_the_demo_site_synced(stack: Stack, tmp_path: Path) -> None:
    """One start (the reuse is the same calls in both modes, tested above): a distributed start on two shared cores
    takes a minute or more by itself."""
    launched = started(["up", "--distributed"], distributed_env(stack), tmp_path / "launcher.log")
    every_demo_worker_is_synced_on_every_gate(launched)
    stopped_without_orphans(launched)


def started(args: list[str], env: dict[str, str], log: Path) -> Launched:
    launched = Launched(args, env, log)
    try:
        launched.wait_ready(timeout=180)
        eventually(lambda: SYNC.search(launched.output(0)), timeout=120, interval=0.5)
    except BaseException:
        launched.proc.kill()
        launched.proc.wait()
        raise
    return launched


def every_demo_worker_is_synced_on_every_gate(launched: Launched) -> str:
    """Through what the launcher printed only: the gate-sync URL and the login; the project's id."""
    pm = logged_in(launched)
    url: str = SYNC.findall(launched.output(0))[-1]

    def synced() -> list[dict[str, Any]] | None:
        gates: list[dict[str, Any]] = pm.get(url, timeout=20).json()["gates"]
        done = {g["kind"] for g in gates if g["counts"].get("synced") == WORKERS}
        return gates if done == KINDS and len(gates) == len(KINDS) else None
    eventually(synced, timeout=90, interval=1)
    return url.split("/projects/")[1].split("/", maxsplit=1)[0]


def the_site_was_not_made_twice(launched: Launched, project: str) -> None:
    pm = logged_in(launched)
    base = f"{launched.url}/api/v1"
    projects = pm.get(f"{base}/assignment/projects", params={"registration_number": "DEMO-SITE-0001"}, timeout=20)
    assert [p["id"] for p in projects.json()["items"]] == [project]
    gates = pm.get(f"{base}/attendance/projects/{project}/gates", timeout=20).json()["items"]
    bridges = pm.get(f"{base}/attendance/projects/{project}/bridges", timeout=20).json()["items"]
    assert sorted(g["kind"] for g in gates) == sorted(KINDS) and len(bridges) == 1
    workers = pm.get(f"{base}/attendance/projects/{project}/gate-sync", timeout=20).json()["items"]
    assert len(workers) == WORKERS

    def held() -> bool:  # the gates report what they hold: the restarted (empty) simulators were filled again
        gates = pm.get(f"{base}/attendance/projects/{project}/gates", timeout=20).json()["items"]
        return all(g["health"]["people"] == WORKERS for g in gates)
    eventually(held, timeout=90, interval=1)


def logged_in(launched: Launched) -> requests.Session:
    login_url, body = LOGIN.findall(launched.output(0))[-1]
    token = requests.post(login_url, json=json.loads(body), timeout=20).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def stopped_without_orphans(launched: Launched) -> None:
    bridge_config = str(launched.data_dir / "demo-site" / "bridges")
    assert bridges_running(bridge_config), launched.output()
    assert launched.interrupt() == 0, launched.output()
    assert "realname stopped." in launched.output()
    assert not bridges_running(bridge_config)
    with socket.socket() as s:  # the gateway's port is free again (for a server, as servers bind: TIME_WAIT aside)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(launched.url.rsplit(":", 1)[1])))


def bridges_running(config: str) -> bool:
    return subprocess.run(["pgrep", "-f", config], capture_output=True, check=False).returncode == 0
