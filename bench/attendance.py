"""Punch benchmark (R27): the morning peak, every punch stored once and judged.

    .venv/bin/python bench/attendance.py            (300,000 punches from 500 gates; 1, 2 and 3 consumers)
    .venv/bin/python bench/attendance.py --quick    (small: a few minutes)

For each consumer count, ``./realname up --distributed --scale attendance-consumer=N`` on a prefix of its own, a
project with ``--workers`` admitted workers and ``--gates`` ISAPI gates behind ``--bridges`` site bridges
(registered through the API); the benchmark publishes as the bridges (their own accounts, persistent messages,
``--publishers`` processes), 5 % of punches for people the platform does not know.

- punches_per_s: ``--punches`` published at once, from the first publish to the last one stored in ``punches``;
  baseline_per_s: the same number of messages of the same size published and consumed by pika alone, in the same
  run (bench/attendance_traffic.py); lost / duplicated / unjudged counted in the database against what was sent;
- latency_ms: publish to stored (the row's ``received_at``) of punches sent at a steady ``--steady-rate`` per
  second for ``--steady-seconds`` (first consumer count only);
- ledger_month_ms: the month's ledger of a project with ``--ledger-workers`` workers x 22 days (written straight
  into the attendance database, as the ledger chore keeps it), read whole through the gateway by the project
  account, ``--ledger-reads`` times; its baseline: the same month rows selected by SQL alone;
- peak_rss_mb: each platform process kind.

Prints one JSON object; ``met``: with some consumer count >= 5,000 punches/s and >= 0.5 x the baseline; nothing lost,
duplicated or unjudged in any run; steady p99 < 2 s; the month's ledger p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from bench.assignment_chain import note, spread
from bench.attendance_traffic import UNKNOWN_SHARE, Fleet, publish_all, raw_baseline, register_fleet
from bench.gates_runs import memory
from realname_attendance.models import LedgerMonth
from tests.support.gate_crews import accept, hire
from tests.support.gate_install import Layout
from tests.support.ledger_month import add_workers, seed_month
from tests.support.site_with_gates import Site, open_site
from tests.support.stack import Stack, eventually

TARGET_PER_S = 5_000
TARGET_RATIO = 0.5
TARGET_P99_MS = 2_000
TARGET_LEDGER_P95_MS = 200
LEDGER_MONTH = date(2026, 10, 1)  # 22 working days
EMPLOYER = "bench-ledger-employer"
STALL_S = 90.0  # no new row for this long: the rest count as lost


@dataclass(frozen=True)
class Sizes:
    punches: int
    gates: int
    bridges: int
    workers: int
    publishers: int
    consumers: tuple[int, ...]
    steady_rate: float
    steady_seconds: float
    ledger_workers: int = 5_000
    ledger_reads: int = 30


FULL = Sizes(punches=300_000, gates=500, bridges=10, workers=1_000, publishers=2, consumers=(1, 2, 3),
             steady_rate=1_000, steady_seconds=30)
QUICK = Sizes(punches=20_000, gates=50, bridges=2, workers=100, publishers=2, consumers=(1,), steady_rate=500,
              steady_seconds=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"smaller: {asdict(QUICK)}")
    for name in ("punches", "gates", "bridges", "workers", "publishers", "ledger_workers", "ledger_reads"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, help=f"(full: {getattr(FULL, name)})")
    parser.add_argument("--consumers", help="consumer counts, comma-separated (full: 1,2,3)")
    parser.add_argument("--steady-rate", type=float)
    parser.add_argument("--steady-seconds", type=float)
    parser.add_argument("--setting", action="append", default=[], metavar="REALNAME_…=VALUE",
                        help="a setting of the platform's processes for a what-if run (repeatable)")
    args = parser.parse_args()
    chosen = {k: v for k, v in vars(args).items() if k not in ("quick", "consumers", "setting") and v is not None}
    if args.consumers:
        chosen["consumers"] = tuple(int(n) for n in args.consumers.split(","))
    sizes = replace(QUICK if args.quick else FULL, **chosen)
    settings = dict(item.split("=", 1) for item in args.setting)
    print(json.dumps(run(sizes, settings), ensure_ascii=False, indent=2))


def run(sizes: Sizes, settings: dict[str, str] | None = None) -> dict[str, Any]:
    runs = [one_run(sizes, n, settings or {}, steady=n == sizes.consumers[0]) for n in sizes.consumers]
    steady = next(r["latency_ms"] for r in runs if "latency_ms" in r)
    ledger = next(r["ledger_month_ms"] for r in runs if "ledger_month_ms" in r)
    best = max(runs, key=lambda r: r["punches_per_s"])
    clean = all(r["lost"] == 0 and r["duplicated"] == 0 and r["unjudged"] == 0 for r in runs)
    return {"sizes": asdict(sizes), "settings": settings or {}, "runs": runs, "punches_per_s": best["punches_per_s"],
            "baseline_per_s": best["baseline_per_s"], "ratio_to_baseline": best["ratio_to_baseline"],
            "lost": sum(r["lost"] for r in runs), "duplicated": sum(r["duplicated"] for r in runs),
            "latency_ms": steady, "ledger_month_ms": ledger,
            "targets": {"punches_per_s": TARGET_PER_S, "ratio_to_baseline": TARGET_RATIO,
                        "latency_p99_ms": TARGET_P99_MS, "ledger_month_p95_ms": TARGET_LEDGER_P95_MS},
            "met": clean and best["punches_per_s"] >= TARGET_PER_S and best["ratio_to_baseline"] >= TARGET_RATIO
            and steady["p99_ms"] < TARGET_P99_MS and ledger["p95_ms"] < TARGET_LEDGER_P95_MS}


def one_run(sizes: Sizes, consumers: int, settings: dict[str, str], *, steady: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-attendance-") as tmp:
        stack = Stack(Path(tmp))
        try:
            with open_site(stack, Path(tmp), Layout(native=0, isapi=0, zkteco=0, bridges=0),
                           settings=settings, scale={"attendance-consumer": consumers}) as site:
                fleet = _fleet(site, Path(tmp), sizes)
                note(f"attendance: {consumers} consumer(s); raw baseline of {sizes.punches} messages")
                baseline = raw_baseline(stack.amqp, fleet, sizes.punches, sizes.publishers)
                note(f"attendance: {sizes.punches} punches from {sizes.gates} gates")
                began, _ = publish_all(fleet, sizes.punches, "burst", sizes.publishers)
                stored = _stored(site, fleet, "burst", sizes.punches, began)
                result = {"consumers": consumers, **stored, "baseline_per_s": baseline["per_s"],
                          "ratio_to_baseline": round(stored["punches_per_s"] / baseline["per_s"], 2),
                          "baseline": baseline}
                if steady:
                    result["latency_ms"] = _steady(site, fleet, sizes)
                    result["ledger_month_ms"] = _ledger_month(site, sizes)
                result["peak_rss_mb"] = memory(site)
                note(f"attendance: {result}")
                return result
        finally:
            stack.teardown()


def _fleet(site: Site, directory: Path, sizes: Sizes) -> Fleet:
    crew = hire(site, sizes.workers)
    accept(site, crew, crew.workers)
    eventually(lambda: site.stack.count("attendance", "SELECT count(*) FROM admissions WHERE project_id = :p AND "
                                                      "status = 'accepted'", p=site.project_id) == sizes.workers,
               timeout=180, interval=0.5)  # the gates' punches come after the entry confirmations
    keys = list(site.keys(crew.workers).values())
    return register_fleet(site, directory, sizes.gates, sizes.bridges, keys)


def _stored(site: Site, fleet: Fleet, tag: str, sent: int, began: float) -> dict[str, Any]:
    """Wait until every punch of ``tag`` is a row (or none came for STALL_S); what the database holds of them."""
    count = f"SELECT count(*) FROM punches WHERE sender = ANY(:a) AND event_key LIKE '{tag}:%'"
    stored, last_change, finished = 0, time.monotonic(), time.time()
    while stored < sent and time.monotonic() - last_change < STALL_S:
        time.sleep(0.25)
        now = site.stack.count("attendance", count, a=fleet.accounts)
        if now != stored:
            stored, last_change, finished = now, time.monotonic(), time.time()
    tally = site.stack.rows("attendance", f"""
        SELECT count(*) AS rows, count(DISTINCT (device, event_key)) AS distinct_punches,
               count(*) FILTER (WHERE valid) AS valid, count(*) FILTER (WHERE reason = 'unknown_worker') AS unknown,
               count(*) FILTER (WHERE NOT valid AND reason IS NULL) AS unjudged
        FROM punches WHERE sender = ANY(:a) AND event_key LIKE '{tag}:%'""", a=fleet.accounts)[0]
    return {"punches": sent, "stored": tally["rows"], "lost": sent - tally["distinct_punches"],
            "duplicated": tally["rows"] - tally["distinct_punches"], "unjudged": tally["unjudged"],
            "valid": tally["valid"], "rejected_unknown_worker": tally["unknown"],
            "unknown_share_sent": UNKNOWN_SHARE, "seconds": round(finished - began, 2),
            "punches_per_s": round(tally["distinct_punches"] / (finished - began))}


def _steady(site: Site, fleet: Fleet, sizes: Sizes) -> dict[str, Any]:
    """Punches at a steady rate, each timed from its publish to its row's ``received_at``."""
    count = int(sizes.steady_rate * sizes.steady_seconds)
    began, stamps = publish_all(fleet, count, "steady", 1, sizes.steady_rate)
    _stored(site, fleet, "steady", count, began)
    received = {r["event_key"]: r["received_at"] for r in site.stack.rows(
        "attendance", "SELECT event_key, received_at FROM punches WHERE sender = ANY(:a) AND event_key LIKE "
                      "'steady:%'", a=fleet.accounts)}
    values = [(_epoch(received[key]) - sent) * 1000 for key, sent in stamps if key in received]
    return {**spread(values), "rate_per_s": sizes.steady_rate, "punches": count, "missing": count - len(values)}


def _ledger_month(site: Site, sizes: Sizes) -> dict[str, Any]:
    """The month's ledger of the site's project, read whole through the gateway, against the bare SQL."""
    workers = [str(uuid.uuid4()) for _ in range(sizes.ledger_workers)]
    db = site.stack.db("attendance")
    add_workers(db, workers, EMPLOYER)
    seed_month(db, site.project_id, workers, EMPLOYER, LEDGER_MONTH, 22)
    path = f"/api/v1/attendance/projects/{site.project_id}/ledger/months/{LEDGER_MONTH:%Y-%m}"
    timings, bare = [], []
    for _ in range(sizes.ledger_reads):
        started = time.perf_counter()
        answer = site.pm.call("GET", path, params={"limit": sizes.ledger_workers})
        timings.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200 and len(answer.json()["items"]) == sizes.ledger_workers, answer.text[:300]
        started = time.perf_counter()
        with db.engine.connect() as conn:
            conn.execute(select(LedgerMonth).where(LedgerMonth.project_id == site.project_id,
                                                   LedgerMonth.month == LEDGER_MONTH)).all()
        bare.append((time.perf_counter() - started) * 1000)
    baseline = spread(bare)
    return {**spread(timings), "workers": sizes.ledger_workers, "days": 22, "baseline_sql_p95_ms": baseline["p95_ms"],
            "ratio_to_baseline": round(spread(timings)["p95_ms"] / max(baseline["p95_ms"], 0.001), 1)}


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


if __name__ == "__main__":
    main()
