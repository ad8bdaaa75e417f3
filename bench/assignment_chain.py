"""What the assignment benchmarks set up through the gateway: contracts, workers the service knows, assignments.

Workers are registered as employers register them (an Excel import to the registry), and are assignable once the
assignment service has learned them from the registry's ``worker.registered`` events: the benchmark waits for
that by reading the assignment database, as the service itself would answer ``worker_unknown`` until then.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.registry_platform import BenchPlatform, cpu_seconds, process_memory, token_claims
from tests.support.launched import ApiClient as Client
from tests.support.sheets import workbook
from tests.support.stack import eventually
from tests.support.workers import worker_body

API = "/api/v1/assignment"
BATCH = 1_000  # the largest list of workers, or of decisions, in one call (R18, R19)
IMPORT_ROWS = 10_000  # the largest Excel file the benchmark sends at once


def enterprise_id(client: Client) -> str:
    return str(token_claims(client)["ent"])


def award(by: Client, project_id: str, contractor_uscc: str, kind: str, parent_id: str | None = None) -> str:
    """A subcontract's id, once the subcontractor's login has reached the assignment service (a party there)."""
    body = {"contractor_uscc": contractor_uscc, "kind": kind, "name": f"压测{kind}分包",
            **({"parent_id": parent_id} if parent_id else {})}

    def made() -> str | None:
        answer = by.call("POST", f"{API}/projects/{project_id}/contracts", json=body)
        return str(answer.json()["id"]) if answer.status_code in (200, 201) else None
    contract_id: str = eventually(made, timeout=60, interval=0.3)
    return contract_id


def own_contract(gc: Client, project_id: str) -> str:
    """The project's tier-0 contract, which its general contractor holds for its own site staff (R13)."""
    answer = gc.call("GET", f"{API}/contracts", params={"mine": "held", "project_id": project_id}).json()
    return str(next(c["id"] for c in answer["items"] if c["tier"] == 0))


def register_workers(platform: BenchPlatform, labour: Client, project_id: str, count: int) -> list[str]:
    """``count`` new workers of ``labour`` (imported in a team on the project), once the assignment service knows
    them all: their ids, in the order the assignment service lists them."""
    employer = enterprise_id(labour)
    before = known_count(platform, employer)
    team = platform.team(labour, project_id, name=f"压测班组{uuid.uuid4().hex[:6]}")
    for first in range(0, count, IMPORT_ROWS):
        rows = min(IMPORT_ROWS, count - first)
        job = platform.import_sheet(labour, project_id, workbook([worker_body(None) for _ in range(rows)],
                                                                 team_name=team["name"]))
        if job["status"] != "done" or job["registered"] != rows:
            raise RuntimeError(f"import of {rows} workers ended {job['status']}: {job}")
    eventually(lambda: known_count(platform, employer) >= before + count, timeout=120, interval=0.5)
    with platform.stack.db("assignment").engine.connect() as conn:
        ids = conn.execute(text("SELECT worker_id FROM workers WHERE employer_id = :e AND team_id = :t "
                                "ORDER BY worker_id"), {"e": employer, "t": team["id"]}).scalars()
        return [str(i) for i in ids]


def known_count(platform: BenchPlatform, employer_id: str) -> int:
    return platform.stack.count("assignment", "SELECT count(*) FROM workers WHERE employer_id = :e "
                                              "AND employment_status = 'active'", e=employer_id)


def assign(labour: Client, contract_id: str, worker_ids: list[str]) -> list[str]:
    """Assign the workers through the contract, 1,000 a call; the new assignments' ids."""
    made: list[str] = []
    for first in range(0, len(worker_ids), BATCH):
        answer = labour.call("POST", f"{API}/assignments", json={
            "contract_id": contract_id, "worker_ids": worker_ids[first:first + BATCH]},
            headers={"Idempotency-Key": str(uuid.uuid4())})
        answer.raise_for_status()
        made += [i["assignment_id"] for i in answer.json()["items"] if i["outcome"] == "assigned"]
    return made


def spread(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 and the largest of a list of milliseconds (interpolated, as statistics.quantiles does)."""
    if len(values) < 2:
        only = round(values[0], 1) if values else 0.0
        return {"p50_ms": only, "p95_ms": only, "p99_ms": only, "max_ms": only}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
            "max_ms": round(max(values), 1)}


def memory(platform: BenchPlatform) -> dict[str, float]:
    """Peak RSS (VmHWM, MB) since start of the assignment service's web (largest gunicorn worker) and consumer."""
    return {name: process_memory(platform.pids[name]) for name in ("assignment-web", "assignment-consumer")}


def cpu_used(platform: BenchPlatform) -> dict[str, float]:
    """CPU seconds used so far by each process kind of the platform, by each PostgreSQL process on the machine
    (``postgresql:<pid>``), by this process, and by the whole machine; two readings give a run's share."""
    used = {kind: cpu_seconds(pid) for kind, pid in platform.pids.items()}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        if _reads(comm) == "postgres":
            used[f"postgresql:{comm.parent.name}"] = cpu_seconds(int(comm.parent.name), children=False)
    ticks = [int(t) for t in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return {**used, "benchmark clients (this process)": cpu_seconds(os.getpid(), children=False),
            "machine (all processes)": (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")}


def cpu_share(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Cores used on average between two readings by each process kind, busiest first (those over 0.01).

    PostgreSQL's processes are summed; a backend that ended between the readings is missing from the sum."""
    used: dict[str, float] = {}
    for key, value in after.items():
        kind = "postgresql (backends alive at the end)" if key.startswith("postgresql:") else key
        used[kind] = used.get(kind, 0.0) + (value - before.get(key, 0.0)) / seconds
    return {kind: round(cores, 2) for kind, cores in sorted(used.items(), key=lambda kv: -kv[1]) if cores > 0.01}


def _reads(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def livez_round_trip(platform: BenchPlatform, times: int = 50) -> dict[str, float]:
    """One client's ``/livez`` round trips through the gateway: what any call pays before the service's work."""
    client, took = Client(platform.launched.url, None), []
    for _ in range(times):
        started = time.perf_counter()
        client.call("GET", "/livez").raise_for_status()
        took.append((time.perf_counter() - started) * 1000)
    return spread(took)


def raw_url(platform: BenchPlatform) -> str:
    """The assignment database's URL for psycopg itself (no SQLAlchemy)."""
    url = make_url(platform.stack.settings.database_url_for("assignment")).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def note(message: str) -> None:
    """Progress on standard error (the JSON goes to standard output)."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def as_json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"status": response.status_code, "text": response.text[:500]}
