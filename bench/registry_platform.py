"""The platform a benchmark runs against: ``./realname up --distributed`` on a prefix of its own."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from realname_codes.uscc import organisation_code_check_character, uscc_check_character
from realname_gateway.certs.devca import issue
from tests.support.infra import free_port
from tests.support.launched import ROOT, Launched, certificate_login, service_ports
from tests.support.launched import ApiClient as Client
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

    def enterprise(self, kind: str, n: int, *, uscc: str | None = None, operator: str = "压测员") -> Client:
        """An enterprise logged in with a certificate: a new one, or another operator of ``uscc``'s."""
        cert, key = issue(self.launched.data_dir / "dev-ca", uscc=uscc or new_uscc(),
                          enterprise_name=f"压测{kind}{n}有限公司", operator=operator)
        response = certificate_login(self.launched.url, cert, key, kind=kind)
        response.raise_for_status()
        return Client(self.launched.url, response.json()["access_token"])

    def regulator(self, username: str = "bench.regulator") -> Client:
        """A regulator's account, made with the operator's command, logged in with its password."""
        password = uuid.uuid4().hex
        subprocess.run([str(ROOT / "realname"), "admin", "create-regulator", "--username", username,
                        "--display-name", "压测监督", "--password-stdin"], input=f"{password}\n".encode(),
                       env=self.launched.env, cwd=ROOT, capture_output=True, timeout=120, check=True)
        login = Client(self.launched.url, None).call("POST", "/api/v1/auth/login/password",
                                                     json={"username": username, "password": password})
        login.raise_for_status()
        return Client(self.launched.url, login.json()["access_token"])

    def project(self, gc: Client | None = None) -> str:
        """A project of ``gc`` (the platform's general contractor by default), once its login reached assignment."""
        number = f"BENCH-{uuid.uuid4().hex[:10].upper()}"
        contractor = gc or self.gc

        def made() -> str | None:
            answer = contractor.call("POST", "/api/v1/assignment/projects", json={
                "name": "压测项目", "registration_number": number, "address": "上海市浦东新区世纪大道1号",
                "planned_start": "2026-01-01", "planned_completion": "2028-12-31"})
            return str(answer.json()["id"]) if answer.status_code == 201 else None
        project_id: str = eventually(made, timeout=30)
        return project_id

    def team(self, labour: Client, project_id: str, name: str = "压测班组") -> dict[str, Any]:
        """A team of ``labour`` on the project, once the registry learned the project from the bus."""
        def made() -> dict[str, Any] | None:
            answer = labour.call("POST", "/api/v1/registry/teams", json={"project_id": project_id, "name": name})
            return answer.json() if answer.status_code == 201 else None
        team: dict[str, Any] = eventually(made, timeout=30)
        return team

    def labour(self, n: int) -> tuple[Client, str]:
        """A new labour company logged in, and its credit code."""
        uscc = new_uscc()
        return self.enterprise("labour", n, uscc=uscc), uscc

    def project_with_team(self, labour: Client, labour_uscc: str) -> tuple[str, dict[str, Any]]:
        """A project on which the general contractor awarded ``labour`` a contract, and a team of it there."""
        project_id = self.project()

        def awarded() -> bool:
            answer = self.gc.call("POST", f"/api/v1/assignment/projects/{project_id}/contracts",
                                  json={"contractor_uscc": labour_uscc, "kind": "labour"})
            return answer.status_code in (200, 201)
        eventually(awarded, timeout=30)
        return project_id, self.team(labour, project_id)

    def import_sheet(self, labour: Client, project_id: str, content: bytes) -> dict[str, Any]:
        """Register the workers of an Excel file through the gateway; the import job once ``done`` (or ``failed``)."""
        job: dict[str, Any] = labour.call("POST", "/api/v1/registry/imports", data={"project_id": project_id},
                                          files={"file": ("bench.xlsx", io.BytesIO(content))}).json()
        while job["status"] not in ("done", "failed"):
            time.sleep(0.2)
            job = labour.call("GET", f"/api/v1/registry/imports/{job['id']}").json()
        return job


def new_uscc() -> str:
    """A valid unified social credit code, a different one at each call."""
    body = f"B{uuid.uuid4().hex[:7].upper()}"  # hexadecimal: no I, O, S, V or Z, as credit codes need
    first17 = f"91310000{body}{organisation_code_check_character(body)}"
    return first17 + uscc_check_character(first17)


def token_claims(client: Client) -> dict[str, Any]:
    """The claims of a client's access token (not verified: the benchmark only reads its own token)."""
    payload = (client.token or "..").split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


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


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """CPU time (user + system) a process and its children (gunicorn's workers) have used so far, in seconds."""
    ticks = 0
    for each in _tree(pid) if children else [pid]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5), counted from 3
    return ticks / os.sysconf("SC_CLK_TCK")


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
