"""Peak-hour data entry (R33): clients registering and editing workers through the gateway at once.

Clients of one labour company share its workers, so they edit the same workers at the same moments:
an edit over another's answers 412 and is re-applied on a fresh read, as a client should. Afterwards
every worker must show the edit acknowledged last (by version): anything else is a lost edit.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.registry_platform import BenchPlatform, percentile
from tests.support.launched import ApiClient as Client
from tests.support.workers import worker_body

COMPANIES = 10


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[str, tuple[int, str]] = field(default_factory=dict)  # worker -> (version, contract)
    operations: Counter[str] = field(default_factory=Counter)

    def timed(self, client: Client, method: str, path: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = client.call(method, path, **kwargs)
        self.record(started, response.status_code)
        return response

    def record(self, started: float, status: int) -> None:
        """One request answered ``status``, sent at ``started`` (``time.perf_counter()``)."""
        with self.lock:
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.statuses[status] += 1


def run_load(platform: BenchPlatform, clients: int, seconds: float) -> dict[str, Any]:
    labour = [platform.labour(100 + n) for n in range(COMPANIES)]
    companies = [client for client, _ in labour]
    teams = [platform.project_with_team(client, uscc)[1]["id"] for client, uscc in labour]
    pools: list[list[str]] = [[] for _ in companies]
    baseline = livez_baseline(platform, clients, min(seconds, 10.0))
    tally = Tally()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_client, args=(companies[i % COMPANIES], teams[i % COMPANIES],
                                                      pools[i % COMPANIES], tally, deadline, i))
               for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lost = _lost_edits(companies, pools, tally)
    requests_made = sum(tally.statuses.values())
    throughput = requests_made / elapsed
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": requests_made,
            "throughput_per_second": round(throughput, 1), "operations": dict(tally.operations),
            "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
            "server_errors": sum(v for k, v in tally.statuses.items() if k >= 500), "lost_edits": lost,
            "latency_ms": {"p50": percentile(tally.latencies, 0.5), "p95": percentile(tally.latencies, 0.95),
                           "p99": percentile(tally.latencies, 0.99)},
            "baseline": baseline, "ratio_to_baseline": round(throughput / baseline["throughput_per_second"], 3),
            "meets_target": lost == 0 and not any(k >= 500 for k in tally.statuses)}


def _client(company: Client, team: str, pool: list[str], tally: Tally, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    mine = Client(company.base, company.token)
    while time.monotonic() < deadline:
        if len(pool) < 5 or rng.random() < 0.3:
            response = tally.timed(mine, "POST", "/api/v1/registry/workers", json=worker_body(team))
            if response.status_code == 201:
                pool.append(response.json()["id"])
                tally.operations["registered"] += 1
        else:
            _edit(mine, rng.choice(pool), tally, rng)


def _edit(client: Client, worker_id: str, tally: Tally, rng: random.Random) -> None:
    """Read, change, save with If-Match; on 412 read again and re-apply (what a careful client does)."""
    path = f"/api/v1/registry/workers/{worker_id}"
    contract = f"HT-{rng.randrange(10**9):09d}"
    for _ in range(5):
        read = tally.timed(client, "GET", path)
        if read.status_code != 200:
            return
        saved = tally.timed(client, "PATCH", path, json={"employment": {"contract_number": contract}},
                            headers={"If-Match": read.headers["ETag"]})
        if saved.status_code == 200:
            version = saved.json()["version"]
            with tally.lock:
                tally.operations["edited"] += 1
                if version > tally.acknowledged.get(worker_id, (0, ""))[0]:
                    tally.acknowledged[worker_id] = (version, contract)
            return
        if saved.status_code != 412:
            return
        tally.operations["edit_conflicts"] += 1


def _lost_edits(companies: list[Client], pools: list[list[str]], tally: Tally) -> int:
    lost = 0
    for company, pool in zip(companies, pools, strict=True):
        for worker_id in pool:
            if worker_id not in tally.acknowledged:
                continue
            shown = company.call("GET", f"/api/v1/registry/workers/{worker_id}").json()
            version, contract = tally.acknowledged[worker_id]
            if shown["employment"]["contract_number"] != contract or shown["version"] != version:
                lost += 1
    return lost


def livez_baseline(platform: BenchPlatform, clients: int, seconds: float) -> dict[str, Any]:
    """The gateway's ``/livez`` under the same clients: HTTP and the gateway's own work, no service behind."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    def hammer() -> None:
        mine = Client(platform.launched.url, None)
        while time.monotonic() < deadline:
            tally.timed(mine, "GET", "/livez")
    threads = [threading.Thread(target=hammer) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"name": "gateway /livez, same clients", "throughput_per_second":
            round(sum(tally.statuses.values()) / elapsed, 1), "p50_ms": percentile(tally.latencies, 0.5),
            "p95_ms": percentile(tally.latencies, 0.95), "p99_ms": percentile(tally.latencies, 0.99)}
