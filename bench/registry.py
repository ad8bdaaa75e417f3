"""Registry benchmarks: fuzzy search over 1,000,000 workers, an Excel import of 10,000 rows, and 100
concurrent clients registering and editing workers through the gateway for 60 seconds.

    .venv/bin/python bench/registry.py                       (all three)
    .venv/bin/python bench/registry.py --only import,load --rows 10000 --clients 100 --seconds 60

The import and the load run against the platform started as ops start it (``./realname up --distributed``:
gunicorn web processes, consumers and relays on the local PostgreSQL and RabbitMQ, under a prefix of the
benchmark's own, removed afterwards). Prints one JSON object; each part names its raw baseline:

- search: see bench/registry_search.py (target p95 < 50 ms);
- import: upload to ``done``, against openpyxl merely reading the same file (target < 20 s), with the
  peak memory (VmHWM) of the registry's web and consumer processes;
- load: every request's latency, status counts (target: no 5xx), lost edits (target: none: the
  final state of each worker is its last acknowledged edit), against the gateway's ``/livez`` under
  the same clients.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import registry_search
from bench.registry_load import run_load
from bench.registry_platform import BenchPlatform, percentile, process_memory
from tests.support.sheets import workbook
from tests.support.workers import worker_body


def bench_import(platform: BenchPlatform, rows: int) -> dict[str, Any]:
    labour, uscc = platform.labour(1)
    project, team = platform.project_with_team(labour, uscc)
    content = workbook([worker_body(None) for _ in range(rows)], team_name=team["name"])
    parse_started = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True)
    parsed = sum(1 for _ in book.active.iter_rows(values_only=True))
    book.close()
    parse_seconds = time.perf_counter() - parse_started
    started = time.perf_counter()
    job = platform.import_sheet(labour, project, content)
    seconds = time.perf_counter() - started
    return {"rows": rows, "file_bytes": len(content), "status": job["status"], "registered": job["registered"],
            "failed": job["failed"], "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
            "target_seconds": 20, "meets_target": job["registered"] == rows and seconds < 20,
            "baseline": {"name": "openpyxl read-only parse of the same file", "rows": parsed - 1,
                         "seconds": round(parse_seconds, 2)},
            "ratio_to_baseline": round(seconds / parse_seconds, 2),
            "peak_memory_mb": {name: process_memory(platform.pids[name])
                               for name in ("registry-web", "registry-consumer")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="search,import,load")
    parser.add_argument("--workers", type=int, default=1_000_000, help="workers for the search benchmark")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    parts = set(args.only.split(","))
    results: dict[str, Any] = {}
    if "search" in parts:
        results["search"] = registry_search.run(args.workers, per_kind=500, keep=False, show_plans=False)
    if parts & {"import", "load"}:
        with tempfile.TemporaryDirectory() as tmp, BenchPlatform(Path(tmp)) as platform:
            if "import" in parts:
                results["import"] = bench_import(platform, args.rows)
            if "load" in parts:
                results["load"] = run_load(platform, args.clients, args.seconds)
    print(json.dumps(results, ensure_ascii=False, indent=2))


__all__ = ["main", "percentile"]

if __name__ == "__main__":
    main()
