"""The platform a registry benchmark runs against: ``./realname up --distributed`` on a prefix of its own."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from realname_codes.uscc import organisation_code_check_character, uscc_check_character
from realname_gateway.certs.devca import issue
from tests.support.infra import free_port
from tests.support.launched import ApiClient as Client
from tests.support.launched import Launched, certificate_login, service_ports
from tests.support.stack import Stack, eventually


class BenchPlatform:
    def __init__(self, tmp: Path, **settings: str) -> None:
        """``settings``: REALNAME_* variables of the benchmark's own for the launcher, over the ones below."""
        self.stack = Stack(tmp)
        # Every client of the benchmark comes from one address: the per-address write limit, which guards
        # a real deployment from one source flooding it, would measure itself instead of the registry.
        env = self.stack.env(**{"REALNAME_GATEWAY_PORT": str(free_port()),
                                "REALNAME_RATE_LIMIT_WRITE": "1000000/minute",
                                "REALNAME_RATE_LIMIT_LOGIN": "100000/minute", **service_ports(), **settings})
        self.launched = Launched(["up", "--distributed"], env, tmp / "launcher.log")
        self.pids: dict[str, int] = {}

    def __enter__(self) -> BenchPlatform:
        self.launched.wait_ready(timeout=180)
        for line in self.launched.output(tail=0).splitlines():
            if line.startswith("{") and '"process_started"' in line:
                entry = json.loads(line)  # process: "<kind>.<index>", e.g. registry-web.0
                self.pids.setdefault(entry["process"].rsplit(".", 1)[0], entry["pid"])
        self.gc = self.enterprise("general_contractor", 0)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.launched.proc.poll() is None:
            self.launched.interrupt()
        self.stack.teardown()

    def enterprise(self, kind: str, n: int) -> Client:
        body = f"B{uuid.uuid4().hex[:7].upper()}"  # hexadecimal: no I, O, S, V or Z, as credit codes need
        org = organisation_code_check_character(body)
        first17 = f"91310000{body}{org}"
        cert, key = issue(self.launched.data_dir / "dev-ca", uscc=first17 + uscc_check_character(first17),
                          enterprise_name=f"压测{kind}{n}有限公司", operator="压测员")
        response = certificate_login(self.launched.url, cert, key, kind=kind)
        response.raise_for_status()
        return Client(self.launched.url, response.json()["access_token"])

    def project_with_team(self, labour: Client) -> tuple[str, dict[str, Any]]:
        number = f"BENCH-{uuid.uuid4().hex[:10].upper()}"

        def project() -> str | None:  # the contractor's first login reaches assignment through the bus
            made = self.gc.call("POST", "/api/v1/assignment/projects", json={
                "name": "压测项目", "registration_number": number, "address": "上海市浦东新区世纪大道1号",
                "planned_start": "2026-01-01", "planned_completion": "2028-12-31"})
            return str(made.json()["id"]) if made.status_code == 201 else None
        project_id: str = eventually(project, timeout=30)

        def team() -> dict[str, Any] | None:
            made = labour.call("POST", "/api/v1/registry/teams", json={"project_id": project_id, "name": "压测班组"})
            return made.json() if made.status_code == 201 else None
        return project_id, eventually(team, timeout=30)


def process_memory(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children (gunicorn's workers), in MB: the largest."""
    peaks = []
    for each in _tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return round(max(peaks, default=0.0), 1)


def _tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*") if os.path.exists(f"/proc/{current}") else []:
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            pending += [int(c) for c in children]
    return found


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)
