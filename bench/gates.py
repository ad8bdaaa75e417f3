"""Gate benchmark (R23, R26): how soon an entry confirmation reaches every face gate of the project, and an exit
leaves them; and how fast a new gate is filled, against the terminal's own floor.

    .venv/bin/python bench/gates.py            (1,000 acceptances on 20 gates; 5,000 workers onto a new gate)
    .venv/bin/python bench/gates.py --quick    (small: a few minutes; what tests/e2e/test_gates_bench.py runs)

``./realname up --distributed`` on a prefix of its own (removed afterwards), a project with ``--native`` native
gates, ``--isapi`` Hikvision ISAPI and ``--zkteco`` ZKTeco PUSH terminals behind ``--bridges`` site bridges (each its
own ``realname-edge gates run`` process), all simulated in this process and watched there (bench/gates_watch.py).

- acceptance_to_synced_ms: workers with faces are accepted ``--batch`` at a time every ``--every`` seconds (an
  entry-confirmation morning), each timed from sending ``POST decisions`` to being on every gate with its face;
- exit_to_revoked_ms: the same workers resign ``--batch`` at a time, each timed from sending the resignation (the
  registry ends the employment, assignment exits them, R24) to being gone from every gate;
- full_sync_s: ``--full-sync`` admitted workers with faces on another project, then one new ISAPI gate answering
  each call in ``--latency`` s is registered there: the time until it holds them all; floor_s = workers × the two
  calls an enrolment needs (UserInfo/SetUp, FDLib/FDSetUp) × latency, one call at a time as a terminal takes them.

Prints one JSON object; ``met``: both p95 under 10 s with nobody missing, and the full sync complete.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.assignment_chain import note
from bench.gates_runs import full_sync, memory, waves
from tests.support.gate_install import Layout
from tests.support.site_with_gates import open_site
from tests.support.stack import Stack

TARGET_P95_MS = 10_000


@dataclass(frozen=True)
class Sizes:
    acceptances: int
    batch: int
    every: float
    native: int
    isapi: int
    zkteco: int
    bridges: int
    full_sync: int
    latency: float


FULL = Sizes(acceptances=1_000, batch=50, every=5.0, native=8, isapi=6, zkteco=6, bridges=2, full_sync=5_000,
             latency=0.05)
QUICK = Sizes(acceptances=40, batch=10, every=2.0, native=2, isapi=2, zkteco=2, bridges=1, full_sync=60,
              latency=0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"smaller: {asdict(QUICK)}")
    for f in fields(Sizes):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(getattr(FULL, f.name)),
                            help=f"(full: {getattr(FULL, f.name)})")
    parser.add_argument("--setting", action="append", default=[], metavar="REALNAME_…=VALUE",
                        help="a setting of the platform's processes for a what-if run (repeatable)")
    args = parser.parse_args()
    sizes = replace(QUICK if args.quick else FULL, **{
        f.name: getattr(args, f.name) for f in fields(Sizes) if getattr(args, f.name) is not None})
    settings = dict(item.split("=", 1) for item in args.setting)
    print(json.dumps(run(sizes, settings), ensure_ascii=False, indent=2))


def run(sizes: Sizes, settings: dict[str, str] | None = None) -> dict[str, object]:
    layout = Layout(native=sizes.native, isapi=sizes.isapi, zkteco=sizes.zkteco, bridges=sizes.bridges)
    with tempfile.TemporaryDirectory(prefix="bench-gates-") as tmp:
        stack = Stack(Path(tmp))
        try:
            with open_site(stack, Path(tmp), layout, settings=settings) as site:
                note(f"gates: {len(site.gates)} gates up; {sizes.acceptances} workers to accept")
                accepted, exited = waves(site, sizes.acceptances, sizes.batch, sizes.every)
                note(f"gates: full sync of {sizes.full_sync} workers onto a new ISAPI gate")
                synced = full_sync(site, Path(tmp) / "full", sizes.full_sync, sizes.latency)
                peaks = memory(site)
        finally:
            stack.teardown()
    gates = {"native": sizes.native, "hikvision-isapi": sizes.isapi, "zkteco-push": sizes.zkteco,
             "bridges": sizes.bridges}
    return {"sizes": asdict(sizes), "settings": settings or {}, "gates": gates,
            "acceptance_to_synced_ms": accepted, "exit_to_revoked_ms": exited, **synced, "peak_rss_mb": peaks,
            "target_p95_ms": TARGET_P95_MS,
            "met": all(part["p95_ms"] < TARGET_P95_MS and part["missing"] == 0 for part in (accepted, exited))
            and synced["full_sync_complete"]}


if __name__ == "__main__":
    main()
