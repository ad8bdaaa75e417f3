"""Peak hour on a site (R18-R20, R33): clients assigning workers and accepting them through the gateway at once.

Labour companies each hold a tier-1 labour contract on every project of one general contractor. Three clients in
four are a labour company's data-entry clerks: each assigns a short list of its company's workers (1-10) to a
project; one list in three also names workers a colleague picked a moment ago, so that two requests for one
worker meet in the database. The fourth client is one of the general contractor's operators (four certificates of
the same enterprise): it decides (nine batches in ten accept) 1-100 assignments that are waiting, either as they
come in (a queue the clerks fill, with some a colleague took a moment ago added: the same assignments decided at
once) or, one time in four, from the list of those awaiting its decision on a project (``GET assignments``), which
its colleagues see too. A rejected worker is assignable again. Afterwards the assignment database must hold no
worker twice on a project (live, or accepted), and every acceptance answered must be in it with the entry time
answered.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bench.assignment_calls import LoadClient, LoadTally
from bench.assignment_chain import (
    API,
    award,
    cpu_share,
    cpu_used,
    enterprise_id,
    livez_round_trip,
    memory,
    note,
    register_workers,
    spread,
)
from bench.assignment_checks import database_checks
from bench.registry_load import livez_baseline
from bench.registry_platform import BenchPlatform, new_uscc
from tests.support.launched import ApiClient as Client

COMPANIES, PROJECTS, OPERATORS = 8, 3, 4
OVERLAP, REJECT, LISTING = 0.3, 0.1, 0.25


@dataclass
class Company:
    client: Client
    id: str
    contracts: list[str]  # one per project
    free: list[list[str]]  # per project: workers not on it (nor asked for)
    recent: list[deque[str]] = field(default_factory=lambda: [deque(maxlen=40) for _ in range(PROJECTS)])


@dataclass
class Site:
    projects: list[str]
    companies: list[Company]
    operators: list[Client]
    tally: LoadTally = field(default_factory=LoadTally)
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[deque[dict[str, str]]] = field(default_factory=lambda: [deque() for _ in range(PROJECTS)])
    taken: list[deque[dict[str, str]]] = field(default_factory=lambda: [deque(maxlen=200) for _ in range(PROJECTS)])

    def pick(self, company: Company, p: int, rng: random.Random) -> list[str]:
        """Workers to assign: fresh ones, and sometimes some a colleague picked a moment ago."""
        with self.lock:
            fresh = [company.free[p].pop() for _ in range(min(rng.randint(1, 10), len(company.free[p])))]
            again = list(company.recent[p])
            company.recent[p].extend(fresh)
        if again and (not fresh or rng.random() < OVERLAP):
            fresh += rng.sample(again, min(len(again), rng.randint(1, 5)))
        return list(dict.fromkeys(fresh))

    def came_in(self, p: int, assignments: list[dict[str, str]]) -> None:
        with self.lock:
            self.waiting[p].extend(assignments)

    def take(self, p: int, rng: random.Random) -> list[dict[str, str]]:
        """Assignments to decide as they came in, and sometimes some a colleague took a moment ago."""
        with self.lock:
            mine = [self.waiting[p].popleft() for _ in range(min(rng.randint(1, 100), len(self.waiting[p])))]
            theirs = list(self.taken[p])
            self.taken[p].extend(mine)
        if theirs and rng.random() < OVERLAP:
            mine += rng.sample(theirs, min(len(theirs), rng.randint(1, 10)))
        return list({a["id"]: a for a in mine}.values())

    def free_again(self, employer_id: str, project_id: str, worker_id: str) -> None:
        company = next(c for c in self.companies if c.id == employer_id)
        with self.lock:
            company.free[self.projects.index(project_id)].insert(0, worker_id)


def run(platform: BenchPlatform, clients: int, seconds: float, workers: int, timeout: float) -> dict[str, Any]:
    site = _site(platform, workers)
    note(f"peak: {workers} workers known; /livez baseline with {clients} clients")
    baseline = livez_baseline(platform, clients, min(seconds, 10.0))
    note(f"peak: {clients} clients for {seconds:.0f} s")
    deadline = time.monotonic() + seconds
    threads = []
    for i in range(clients):
        if i % 4 == 3:
            token, target = site.operators[i % OPERATORS].token, _operator
        else:
            company = site.companies[i % COMPANIES]
            token, target = company.client.token, _clerk
        caller = LoadClient(platform.launched.url, token or "", random.Random(i), timeout)
        threads.append(threading.Thread(target=target, args=(site, caller, deadline, i)))
    cpu_before, started = cpu_used(platform), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cores = cpu_share(cpu_before, cpu_used(platform), elapsed)
    tally = site.tally
    answered = sum(tally.statuses.values())
    checks = database_checks(platform, site.projects, tally)
    server_errors = sum(v for k, v in tally.statuses.items() if k >= 500)
    throughput = answered / elapsed
    pool = {"workers": workers // COMPANIES * COMPANIES, "worker_project_slots": workers // COMPANIES * COMPANIES
            * PROJECTS, "slots_still_free": sum(len(f) for c in site.companies for f in c.free),
            "assignments_waiting_in_queue": sum(len(w) for w in site.waiting)}
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": answered,
            "throughput_per_second": round(throughput, 1),
            "workers_accepted_per_second": round(tally.outcomes["accepted"] / elapsed, 1),
            "statuses": {str(k): v for k, v in sorted(tally.statuses.items())}, "server_errors": server_errors,
            "latency_ms": spread(tally.latencies),
            "by_operation": {op: {"requests": len(v), **spread(v)} for op, v in sorted(tally.by_operation.items())},
            "outcomes": dict(sorted(tally.outcomes.items())), "pool": pool, "cores_used": cores, "checks": checks,
            "baseline": baseline, "ratio_to_baseline": round(throughput / baseline["throughput_per_second"], 3),
            "single_livez": livez_round_trip(platform, 20), "peak_memory_mb": memory(platform),
            "server_error_samples": _logged(platform, tally.server_errors),
            "meets_target": server_errors == 0 and checks["clean"]}


def _site(platform: BenchPlatform, workers: int) -> Site:
    gc_uscc = new_uscc()
    gc = platform.enterprise("general_contractor", 2, uscc=gc_uscc, operator="操作员0")
    operators = [gc] + [platform.enterprise("general_contractor", 2, uscc=gc_uscc, operator=f"操作员{n}")
                        for n in range(1, OPERATORS)]
    projects = [platform.project(gc) for _ in range(PROJECTS)]
    companies = []
    for n in range(COMPANIES):
        uscc = new_uscc()
        client = platform.enterprise("labour", 10 + n, uscc=uscc)
        contracts = [award(gc, p, uscc, "labour") for p in projects]
        mine = register_workers(platform, client, projects[0], workers // COMPANIES)
        free = [random.Random(n * PROJECTS + p).sample(mine, len(mine)) for p in range(PROJECTS)]
        companies.append(Company(client, enterprise_id(client), contracts, free))
    return Site(projects, companies, operators)


def _clerk(site: Site, caller: LoadClient, deadline: float, i: int) -> None:
    company = site.companies[i % COMPANIES]
    while time.monotonic() < deadline:
        p = caller.rng.randrange(PROJECTS)
        picked = site.pick(company, p, caller.rng)
        if not picked:
            site.tally.count("nothing_to_assign")
            time.sleep(0.05)
            continue
        answer = caller.send(site.tally, "assign", "POST", f"{API}/assignments",
                             json={"contract_id": company.contracts[p], "worker_ids": picked})
        if answer is not None and answer.status_code == 200:
            items = answer.json()["items"]
            site.tally.count(*(i["outcome"] if i["outcome"] != "refused" else f"refused:{i['reason']}"
                               for i in items))
            site.came_in(p, [{"id": i["assignment_id"], "employer_id": company.id, "project_id": site.projects[p],
                              "worker_id": i["worker_id"]} for i in items if i["outcome"] == "assigned"])


def _operator(site: Site, caller: LoadClient, deadline: float, i: int) -> None:
    while time.monotonic() < deadline:
        p = caller.rng.randrange(PROJECTS)
        chosen = _listed(site, caller, p) if caller.rng.random() < LISTING else site.take(p, caller.rng)
        if not chosen:
            site.tally.count("nothing_to_decide")
            time.sleep(0.05)
            continue
        rejecting = caller.rng.random() < REJECT
        items = [{"assignment_id": a["id"], "decision": "reject", "reason": "压测：证件资料不全"} if rejecting
                 else {"assignment_id": a["id"], "decision": "accept"} for a in chosen]
        answer = caller.send(site.tally, "decide", "POST", f"{API}/decisions", json={"items": items})
        if answer is None or answer.status_code != 200:
            continue
        by_id = {a["id"]: a for a in chosen}
        for item in answer.json()["items"]:
            outcome = item["outcome"] if item["outcome"] != "refused" else f"refused:{item['reason']}"
            site.tally.count(outcome)
            if item["outcome"] in ("accepted", "already_accepted"):
                site.tally.saw_entry(item["assignment_id"], item["entry_at"])
            elif item["outcome"] == "rejected":
                a = by_id[item["assignment_id"]]
                site.free_again(a["employer_id"], a["project_id"], a["worker_id"])


def _listed(site: Site, caller: LoadClient, p: int) -> list[dict[str, str]]:
    """A sample of the assignments awaiting the operator's decision on a project, as its colleagues see them."""
    listed = caller.send(site.tally, "list_requested", "GET", f"{API}/assignments", params={
        "side": "using", "status": "requested", "project_id": site.projects[p], "limit": 100})
    waiting = listed.json()["items"] if listed is not None and listed.status_code == 200 else []
    return caller.rng.sample(waiting, caller.rng.randint(1, len(waiting))) if waiting else []


def _logged(platform: BenchPlatform, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each 5xx answer with the platform's log lines of its request (its correlation id), the errors first."""
    log = platform.launched.output(tail=0).splitlines()
    for error in errors:
        mine = [line for line in log if error["correlation_id"] in line]
        error["log"] = [line[:3000] for line in sorted(mine, key=lambda line: "error" not in line.lower())[:5]]
    return errors
