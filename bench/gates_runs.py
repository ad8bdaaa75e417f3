"""The timed parts of bench/gates.py: waves of acceptances and exits, and one new gate filled from empty."""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.assignment_chain import note, spread
from bench.gates_watch import Watch, latencies_ms
from bench.registry_platform import cpu_seconds, process_memory
from tests.support.gate_crews import accept, give_faces, hire, resign
from tests.support.gate_install import Layout, install
from tests.support.site_with_gates import Site, new_project
from tests.support.stack import eventually

CALLS_PER_ENROLMENT = 2  # ISAPI: UserInfo/SetUp, then FDLib/FDSetUp (the face needs its person first)
BENCHMARK = "benchmark (simulated terminals)"
FULL_SYNC_ROOM = 3_000  # the simulated terminal's default room; a larger crew gets a model with room for them all
DRAIN_S = 180.0  # after the last wave, how long the stragglers are waited for before they count as missing


def waves(site: Site, count: int, batch: int, every: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Accept ``count`` workers ``batch`` at a time every ``every`` s, then let them resign the same way."""
    crew = hire(site, count)
    give_faces(crew, crew.workers)
    keys = site.keys(crew.workers)
    groups = [crew.workers[first:first + batch] for first in range(0, count, batch)]
    with Watch(site.gates) as watch:
        sent: dict[str, float] = {}

        def deciding(group: list[str]) -> None:
            sent.update({keys[w]: time.monotonic() for w in group})
        before = _cpu(site)
        _paced(groups, every, lambda group: accept(site, crew, group, deciding=deciding))
        _drain(lambda: all(watch.synced_at(k) is not None for k in sent))
        accepted = {**_summary(sent, watch.synced_at, site), **_busy(before, _cpu(site))}
        note(f"gates: acceptance to synced {accepted}")
        gone: dict[str, float] = {}

        def resigning(group: list[str]) -> None:
            gone.update({keys[w]: time.monotonic() for w in group})
            resign(crew, group)
        before = _cpu(site)
        _paced(groups, every, resigning)
        _drain(lambda: all(watch.revoked_at(k) is not None for k in gone))
        exited = {**_summary(gone, watch.revoked_at, site), **_busy(before, _cpu(site))}
        note(f"gates: exit to revoked {exited}")
    return accepted, exited


def _paced(groups: list[list[str]], every: float, act: Any) -> None:
    """Open-loop arrivals: a group every ``every`` s, whatever the gates are still doing."""
    started = time.monotonic()
    for n, group in enumerate(groups):
        time.sleep(max(0.0, started + n * every - time.monotonic()))
        act(group)


def _drain(done: Any) -> None:
    deadline = time.monotonic() + DRAIN_S
    while not done() and time.monotonic() < deadline:
        time.sleep(0.2)


def _summary(started: dict[str, float], reached: Callable[[str, str | None], float | None],
             site: Site) -> dict[str, Any]:
    """p50/p95/p99 to the last gate of all, and to the last gate of each kind (where the time goes)."""
    values, missing = latencies_ms(started, {k: reached(k, None) for k in started})
    by_kind = {}
    for kind in sorted({g.kind for g in site.gates}):
        of_kind, _ = latencies_ms(started, {k: reached(k, kind) for k in started})
        by_kind[kind] = {k: v for k, v in spread(of_kind).items() if k in ("p50_ms", "p95_ms")}
    return {**spread(values), "workers": len(started), "missing": missing, "by_kind": by_kind}


def full_sync(site: Site, directory: Path, count: int, latency: float) -> dict[str, Any]:
    """``count`` admitted workers with faces on a project of their own; then its first gate, an ISAPI terminal
    answering each call in ``latency`` s: how long until it holds them all, against the terminal's floor."""
    other = new_project(site.stack, site.launched, site.gc)
    try:
        crew = hire(other, count)
        give_faces(crew, crew.workers)
        accept(other, crew, crew.workers)
        keys = set(other.keys(crew.workers).values())
        eventually(lambda: site.stack.count("attendance", "SELECT count(*) FROM admissions WHERE project_id = :p "
                                                          "AND status = 'accepted'", p=other.project_id) == count,
                   timeout=120, interval=0.5)  # attendance knows every admission before the gate comes
        floor = count * CALLS_PER_ENROLMENT * latency
        started = time.monotonic()
        [gate] = install(other, directory, Layout(native=0, isapi=1, zkteco=0, bridges=1, isapi_latency_s=latency,
                                                  capacity=max(count, FULL_SYNC_ROOM)))
        with Watch([gate]) as watch:
            deadline = started + max(DRAIN_S, 4 * floor)
            while watch.count_on(gate, keys) < count and time.monotonic() < deadline:
                time.sleep(0.1)
            took = time.monotonic() - started
            held = watch.count_on(gate, keys)
    finally:
        for each in other.gates:
            each.stop()
        site.bridges += other.bridges  # stopped with the site's; its memory reported with the others
    return {"full_sync_s": round(took, 1), "floor_s": round(floor, 1), "ratio_to_floor": round(took / floor, 2),
            "full_sync_workers": count, "full_sync_held": held, "full_sync_complete": held == count}


def memory(site: Site) -> dict[str, float]:
    """Peak RSS (VmHWM, MB) of each platform process kind, each bridge process, and this one (the terminals)."""
    peaks = {name: process_memory(pid) for name, pid in _processes(site).items() if name != BENCHMARK}
    peaks[BENCHMARK] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return peaks


def _processes(site: Site) -> dict[str, int]:
    """The platform's process kinds (the first of each, as the launcher logged them), the bridges, and this one."""
    pids: dict[str, int] = {}
    for line in site.launched.output(tail=0).splitlines():
        if line.startswith("{") and '"process_started"' in line:
            entry = json.loads(line)
            pids.setdefault(entry["process"].rsplit(".", 1)[0], entry["pid"])
    for n, bridge in enumerate(site.bridges):
        if bridge.process is not None:
            pids[f"bridge-{n}"] = bridge.process.pid
    return {**dict(sorted(pids.items())), BENCHMARK: os.getpid()}


def _cpu(site: Site) -> tuple[float, dict[str, float], float]:
    """CPU seconds used so far by each (this process without its children: the platform and bridges are those),
    and by the whole machine (every program on it, the platform's or not)."""
    return time.monotonic(), {name: cpu_seconds(pid, children=name != BENCHMARK)
                              for name, pid in _processes(site).items()}, _machine_cpu_seconds()


def _busy(before: tuple[float, dict[str, float], float],
          after: tuple[float, dict[str, float], float]) -> dict[str, Any]:
    """Between two readings: the cores each process kind kept busy on average, busiest first (over 0.02), the CPU
    seconds they used in all, and how many of the machine's cores were busy (others' programs included: on a
    shared machine the platform gets only what is left)."""
    seconds = after[0] - before[0]
    used = {name: value - before[1].get(name, 0.0) for name, value in after[1].items()}
    return {"cpu_cores": {name: round(cpu / seconds, 2) for name, cpu in sorted(used.items(), key=lambda kv: -kv[1])
                          if cpu / seconds > 0.02},
            "cpu_seconds": round(sum(used.values()), 1), "phase_s": round(seconds, 1),
            "machine_busy_cores": round((after[2] - before[2]) / seconds, 2), "machine_cores": os.cpu_count()}


def _machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for the disk) since it started."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
