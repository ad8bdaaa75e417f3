"""Assignment benchmarks (R18-R21, R33): batch entry confirmation, peak-hour assigning and accepting by 200 clients,
and the workforce query of a 20,000-worker project, all through the gateway of ``./realname up --distributed``.

    .venv/bin/python bench/assignment.py                      (all three, the figures in the README)
    .venv/bin/python bench/assignment.py --quick              (smaller: a few minutes)
    .venv/bin/python bench/assignment.py --only peak --clients 200 --seconds 60

Each part starts the platform as ops start it (gunicorn web processes with REALNAME_WEB_WORKERS workers, consumers
and relays on the local PostgreSQL and RabbitMQ, under a prefix of its own, removed afterwards), so each reports
the peak memory (VmHWM) of its own assignment web and consumer processes. Prints one JSON object; each part names
its baseline and the ratio to it:

- batch_accept: ``POST decisions`` of 1,000 fresh assignments, end to end, ``--batches`` times (target p95 < 2 s),
  against one SQL UPDATE of the same rows through psycopg (bench/assignment_batch.py);
- peak: ``--clients`` clients for ``--seconds`` assigning and accepting, retrying with the same Idempotency-Key;
  status counts (target: no 5xx), duplicates in the database (target: none), against the gateway's ``/livez``
  under the same clients (bench/assignment_peak.py);
- workforce_query: pages of a project of ``--workforce`` workers seeded into the database (target p95 < 100 ms),
  against the service's own query function in this process (bench/assignment_workforce.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import assignment_batch, assignment_peak, assignment_workforce
from bench.assignment_chain import note
from bench.registry_platform import BenchPlatform

PARTS = ("batch_accept", "peak", "workforce_query")


@dataclass(frozen=True)
class Sizes:
    batches: int
    clients: int
    seconds: float
    pool: int
    workforce: int
    background: int
    per_combination: int


FULL = Sizes(batches=10, clients=200, seconds=60.0, pool=16_000, workforce=20_000, background=80_000,
             per_combination=30)
QUICK = Sizes(batches=3, clients=40, seconds=15.0, pool=2_400, workforce=5_000, background=10_000,
              per_combination=6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--quick", action="store_true", help=f"smaller defaults: {asdict(QUICK)}")
    parser.add_argument("--batches", type=int, help="batches of 1,000 accepted (full: 10)")
    parser.add_argument("--clients", type=int, help="peak: concurrent clients (full: 200)")
    parser.add_argument("--seconds", type=float, help="peak: how long (full: 60)")
    parser.add_argument("--pool", type=int, help="peak: workers registered for the clerks to assign (full: 16,000)")
    parser.add_argument("--timeout", type=float, default=10.0, help="peak: a client's timeout before it retries")
    parser.add_argument("--workforce", type=int, help="workforce_query: workers on the project (full: 20,000)")
    parser.add_argument("--background", type=int, help="workforce_query: assignments on other projects (80,000)")
    parser.add_argument("--per-combination", type=int, help="workforce_query: pages timed per combination (30)")
    parser.add_argument("--explain", action="store_true", help="workforce_query: plans of the slowest queries")
    parser.add_argument("--setting", action="append", default=[], metavar="REALNAME_…=VALUE",
                        help="a setting of the platform's processes for a what-if run (repeatable)")
    args = parser.parse_args()
    sizes = replace(QUICK if args.quick else FULL, **{
        f.name: getattr(args, f.name) for f in fields(Sizes) if getattr(args, f.name) is not None})
    parts = [p for p in args.only.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    extra = dict(item.split("=", 1) for item in args.setting)
    if not all(name.startswith("REALNAME_") for name in extra):
        parser.error("--setting: REALNAME_NAME=VALUE")
    results: dict[str, Any] = {"code": _code(), "machine": {"cpus": os.cpu_count(),
                                                             "load_average_at_start": os.getloadavg()},
                               "sizes": asdict(sizes), **({"settings": extra} if extra else {})}
    runs: dict[str, Any] = {
        "batch_accept": lambda p: assignment_batch.run(p, sizes.batches),
        "peak": lambda p: assignment_peak.run(p, sizes.clients, sizes.seconds, sizes.pool, args.timeout),
        "workforce_query": lambda p: assignment_workforce.run(p, sizes.workforce, sizes.background,
                                                              sizes.per_combination, args.explain)}
    for part in parts:
        started = time.perf_counter()
        note(f"{part}: starting the platform")
        # Tokens outlive the setup of a part (registering thousands of workers takes minutes on two cores);
        # two gunicorn workers per web process and relays polling an empty outbox every 50 ms: the defaults
        # (the test stack's relays poll every 20 ms), whatever the calling shell says.
        settings = {"REALNAME_ACCESS_TOKEN_SECONDS": "3600", "REALNAME_WEB_WORKERS": "2",
                    "REALNAME_RELAY_IDLE_SECONDS": "0.05", **extra}
        with tempfile.TemporaryDirectory() as tmp, BenchPlatform(Path(tmp), **settings) as platform:
            code = _code()  # the platform's processes have just imported it
            results[part] = runs[part](platform)
            results[part]["code"] = code
            results[part]["load_average_after"] = os.getloadavg()
            results[part]["part_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, ensure_ascii=False, indent=2, default=str))


def _code() -> dict[str, Any]:
    """The commit measured, and the files of the platform changed from it (others edit them meanwhile)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False).stdout.strip()
    changed = git("status", "--porcelain", "--", "services", "libs", "gateway", "deploy").splitlines()
    return {"commit": git("rev-parse", "--short", "HEAD"), "platform_files_changed": [c[3:] for c in changed]}


if __name__ == "__main__":
    main()
