"""The workforce query (用工查询, R21) of a project of 20,000 workers over three tiers, page by page.

Pages of 50 and 500, the first page and deep ones (cursors from the second half of a walk through every page), with
no name filter, a surname (one character) and a full name, as the general contractor, a regulator, a tier-1 labour
company, the specialty subcontractor and a labour company beneath it. Each page is timed through the gateway,
then the same query is run in this process by the service's own ``workforce()`` on the same database (no HTTP,
no gateway, no serialisation): that is the baseline.
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench.assignment_chain import API, livez_round_trip, memory, note, spread
from bench.assignment_plans import captured, plans
from bench.assignment_seed import Seeded, seed
from bench.registry_platform import BenchPlatform, token_claims
from realname_assignment.workforce import WorkforceQuery, workforce
from realname_kit.auth import Caller, caller_from_claims
from realname_kit.db import Database
from realname_kit.settings import Settings
from tests.support.launched import ApiClient as Client

TARGET_P95_MS = 100
LIMITS, POSITIONS, NAMES = (50, 500), ("first", "deep"), ("none", "surname", "full_name")


def run(platform: BenchPlatform, workers: int, background: int, per_combination: int,
        explain: bool) -> dict[str, Any]:
    started = time.perf_counter()
    seeded = seed(platform, workers, background)
    seed_seconds = time.perf_counter() - started
    note(f"workforce_query: {workers} workers seeded (+{background} on other projects); timing pages")
    callers = {**seeded.callers, "regulator": platform.regulator()}
    # The database as the service reaches it (a --setting of the database URL included), for the baseline.
    db, rng = Database(Settings.from_env(platform.launched.env).database_url_for("assignment")), random.Random(7)
    try:
        return {"seeded": "database", "workers": workers, "background_assignments_other_projects": background,
                "seed_seconds": round(seed_seconds, 1),
                **_measure(platform, seeded, callers, db, rng, per_combination, explain)}
    finally:
        db.dispose()


def _measure(platform: BenchPlatform, seeded: Seeded, callers: dict[str, Client], db: Database, rng: random.Random,
             per_combination: int, explain: bool) -> dict[str, Any]:
    path = f"{API}/projects/{seeded.project_id}/workforce"
    combinations: dict[str, dict[str, Any]] = {}
    every_http: list[float] = []
    every_direct: list[float] = []
    walks, rows, plans = {}, 0, {}
    for who, client in callers.items():
        cursors, walks[who] = _walk(client, path)
        deep = cursors[len(cursors) // 2:] or [None]
        caller = caller_from_claims(token_claims(client))
        for limit in LIMITS:
            for position in POSITIONS:
                for kind in NAMES:
                    http, direct = [], []
                    for _ in range(per_combination):
                        query = WorkforceQuery(limit=limit, cursor=rng.choice(deep) if position == "deep" else None,
                                               name=_name(kind, seeded.names, rng))
                        took, count = _http(client, path, query)
                        http.append(took)
                        rows += count
                        direct.append(_direct(db, caller, seeded.project_id, query))
                    every_http += http
                    every_direct += direct
                    combinations[f"{who} limit={limit} {position} name={kind}"] = {
                        **spread(http), "in_process_p95_ms": spread(direct)["p95_ms"]}
    overall, baseline = spread(every_http), spread(every_direct)
    slowest = sorted(combinations, key=lambda k: combinations[k]["p95_ms"], reverse=True)
    meets = combinations[slowest[0]]["p95_ms"] < TARGET_P95_MS
    if explain or not meets:
        plans = {k: _plan(db, callers, seeded.project_id, k, seeded.names) for k in slowest[:3]}
    seconds = sum(every_http) / 1000
    return {"requests_per_combination": per_combination,
            "pages": len(every_http), "pages_per_second": round(len(every_http) / seconds, 1),
            "rows_per_second": round(rows / seconds), "latency_ms": overall,
            "slowest": {k: combinations[k] for k in slowest[:5]}, "combinations": combinations,
            "full_walk_limit_500": walks, "target_p95_ms": TARGET_P95_MS, "meets_target": meets,
            "baseline": {"name": "the service's workforce() in this process, same database, no HTTP", **baseline,
                         "gateway_livez_round_trip": livez_round_trip(platform)},
            "ratio_to_baseline": round(overall["p95_ms"] / baseline["p95_ms"], 1) if baseline["p95_ms"] else None,
            "peak_memory_mb": memory(platform), "plans": plans}


def _name(kind: str, names: list[str], rng: random.Random) -> str | None:
    if kind == "none":
        return None
    person = rng.choice(names)
    return person[0] if kind == "surname" else person


def _http(client: Client, path: str, query: WorkforceQuery) -> tuple[float, int]:
    params = {"limit": query.limit, **({"cursor": query.cursor} if query.cursor else {}),
              **({"name": query.name} if query.name else {})}
    started = time.perf_counter()
    answer = client.call("GET", path, params=params)
    took = (time.perf_counter() - started) * 1000
    answer.raise_for_status()
    return took, len(answer.json()["items"])


def _direct(db: Database, caller: Caller, project_id: str, query: WorkforceQuery) -> float:
    started = time.perf_counter()
    with db.transaction() as session:
        workforce(session, caller, project_id, query)
    return (time.perf_counter() - started) * 1000


def _walk(client: Client, path: str) -> tuple[list[str | None], dict[str, Any]]:
    """Every page of 500 in turn: the cursors met, and how long the whole walk took."""
    cursors: list[str | None] = []
    cursor, count, started = None, 0, time.perf_counter()
    while True:
        answer = client.call("GET", path, params={"limit": 500, **({"cursor": cursor} if cursor else {})})
        answer.raise_for_status()
        page = answer.json()
        count += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return cursors, {"rows": count, "pages": len(cursors) + 1,
                             "seconds": round(time.perf_counter() - started, 2)}
        cursors.append(cursor)


def _plan(db: Database, callers: dict[str, Client], project_id: str, combination: str,
          names: list[str]) -> dict[str, Any]:
    """The plans of the page query ``workforce()`` runs for one combination (a deep cursor from the middle)."""
    who, limit, position, kind = combination.split()
    client = callers[who]
    deep = _walk(client, f"{API}/projects/{project_id}/workforce")[0]
    query = WorkforceQuery(limit=int(limit.split("=")[1]), name=_name(kind.split("=")[1], names, random.Random(3)),
                           cursor=deep[len(deep) // 2] if position == "deep" and deep else None)
    caller = caller_from_claims(token_claims(client))
    statement, parameters = captured(db, lambda: _direct(db, caller, project_id, query))
    return {"query": str(query), "parameters": parameters, **plans(db, statement, parameters)}
