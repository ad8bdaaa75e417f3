"""Entry confirmation in batch (R19): 1,000 assignments accepted in one ``POST decisions`` through the gateway.

Each batch is 1,000 fresh assignments requested by a labour company on its tier-1 contract; the general contractor
accepts them in one call (with an ``Idempotency-Key``), timed from sending to the answer. The raw baseline is one
SQL UPDATE of the same 1,000 rows through psycopg on the same database (the columns the acceptance writes,
rewritten as they stand, committed), and the gateway's ``/livez`` round trip.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import psycopg

from bench.assignment_chain import (
    API,
    BATCH,
    as_json,
    assign,
    award,
    livez_round_trip,
    memory,
    note,
    raw_url,
    register_workers,
    spread,
)
from bench.registry_platform import BenchPlatform, new_uscc
from tests.support.launched import ApiClient as Client

TARGET_P95_MS = 2_000
REWRITE = ("UPDATE assignments SET status = 'accepted', entry_at = entry_at, decided_at = decided_at, "
           "decided_by = decided_by, version = version WHERE id = ANY(%s)")


def run(platform: BenchPlatform, batches: int) -> dict[str, Any]:
    uscc = new_uscc()
    labour = platform.enterprise("labour", 1, uscc=uscc)
    project_id = platform.project()
    contract_id = award(platform.gc, project_id, uscc, "labour")
    started = time.perf_counter()
    workers = register_workers(platform, labour, project_id, batches * BATCH)
    registered_seconds = time.perf_counter() - started
    note(f"batch_accept: {len(workers)} workers known; {batches} batches")
    assign_ms, accept_ms, sql_ms, problems = [], [], [], []
    replay: dict[str, Any] = {}
    with psycopg.connect(raw_url(platform), autocommit=True) as raw:
        for n in range(batches):
            started = time.perf_counter()
            made = assign(labour, contract_id, workers[n * BATCH:(n + 1) * BATCH])
            assign_ms.append((time.perf_counter() - started) * 1000)
            body = {"items": [{"assignment_id": a, "decision": "accept"} for a in made]}
            key = {"Idempotency-Key": str(uuid.uuid4())}
            started = time.perf_counter()
            answer = platform.gc.call("POST", f"{API}/decisions", json=body, headers=key)
            accept_ms.append((time.perf_counter() - started) * 1000)
            counts = as_json(answer).get("counts", {})
            if answer.status_code != 200 or counts != {"accepted": BATCH}:
                problems.append({"batch": n, "status": answer.status_code, "counts": counts})
            sql_ms.append(_rewrite(raw, made))
            if n == batches - 1:
                replay = _again(platform.gc, body, key, answer.json() if answer.status_code == 200 else None)
    p95 = spread(accept_ms)["p95_ms"]
    baseline = spread(sql_ms)
    return {"batches": batches, "rows_per_batch": BATCH,
            "registered": {"workers": len(workers), "seconds_import_to_known": round(registered_seconds, 1)},
            "accept_1000": spread(accept_ms), "rows_per_second": round(BATCH * batches / (sum(accept_ms) / 1000)),
            "assign_1000": spread(assign_ms), "repeated": replay, "problems": problems,
            "target_p95_ms": TARGET_P95_MS, "meets_target": p95 < TARGET_P95_MS and not problems,
            "baseline": {"name": "one SQL UPDATE of the same 1,000 rows through psycopg, committed",
                         **baseline, "gateway_livez_round_trip": livez_round_trip(platform)},
            "ratio_to_baseline": round(p95 / baseline["p95_ms"], 1) if baseline["p95_ms"] else None,
            "peak_memory_mb": memory(platform)}


def _again(gc: Client, body: dict[str, Any], key: dict[str, str], first: Any) -> dict[str, Any]:
    """The last batch sent again: with its key (a retry, R33: replayed), and without (R20: already_accepted)."""
    started = time.perf_counter()
    retried = gc.call("POST", f"{API}/decisions", json=body, headers=key)
    retry_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    again = gc.call("POST", f"{API}/decisions", json=body)
    again_ms = (time.perf_counter() - started) * 1000
    entries = {i["assignment_id"]: i["entry_at"] for i in (first or {}).get("items", [])}
    return {"retry_same_key_ms": round(retry_ms, 1), "retry_replayed": retried.headers.get("Idempotent-Replayed"),
            "retry_identical": retried.status_code == 200 and retried.json() == first,
            "accept_again_ms": round(again_ms, 1), "accept_again_counts": as_json(again).get("counts"),
            "entry_times_kept": again.status_code == 200 and all(
                entries.get(i["assignment_id"]) == i["entry_at"] for i in again.json()["items"])}


def _rewrite(raw: psycopg.Connection[Any], ids: list[str]) -> float:
    started = time.perf_counter()
    with raw.transaction():
        updated = raw.execute(REWRITE, (ids,)).rowcount
    took = (time.perf_counter() - started) * 1000
    if updated != len(ids):
        raise RuntimeError(f"the baseline UPDATE touched {updated} rows of {len(ids)}")
    return took
