"""Punches on a simulated site, and what the platform kept of them (R27): people stand in front of the gates, the
terminals record and send as real ones do (a native gate over AMQP with confirms; ZKTeco terminals uploading ATTLOG
batches to the site bridge, which spools and publishes them), and the ``punches`` table is compared with the
terminals' own records: each recognition exactly once, every rejected one with its reason."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from realname_codes.gate_protocol import NATIVE, ZKTECO_PUSH
from tests.support.gate_devices import SimGate
from tests.support.site_with_gates import Site


@dataclass
class Crowd:
    """People walking through gates at ``per_s`` recognitions a second, spread over the gates and the keys so that
    no terminal records the same person twice in one second (ZKTeco's event identity is PIN + second)."""

    gates: list[SimGate]
    keys: list[str]
    per_s: float
    made: int = 0

    def walk(self, count: int) -> None:
        started = time.monotonic()
        for n in range(count):
            gate = self.gates[self.made % len(self.gates)]
            gate.terminal.punch(self.keys[(self.made // len(self.gates)) % len(self.keys)])
            self.made += 1
            time.sleep(max(0.0, started + (n + 1) / self.per_s - time.monotonic()))

    @contextmanager
    def walking(self, count: int) -> Iterator[threading.Thread]:
        """``count`` recognitions in the background while the block runs; waits for the last one after it."""
        thread = threading.Thread(target=self.walk, args=(count,), daemon=True)
        thread.start()
        try:
            yield thread
        finally:
            thread.join()


def weekend_backlog(gate: SimGate, keys: list[str], count: int, since: datetime) -> None:
    """``count`` recognitions recorded by an offline terminal from ``since`` on (its clock set for each), a
    hundred people a second at most; the clock is right again afterwards."""
    device = gate.device
    for n in range(count):
        device.set_time(since + timedelta(seconds=n // len(keys)))
        gate.terminal.punch(keys[n % len(keys)])
    device.set_time(datetime.now(UTC))


def identities(gate: SimGate) -> set[str]:
    """The terminal's recognitions as event identities: one per punch the platform must hold."""
    if gate.kind == ZKTECO_PUSH:  # ATTLOG: PIN and local second
        return {f"{e.key}@{e.at.replace(microsecond=0).timestamp():.0f}" for e in gate.device.events}
    assert gate.kind == NATIVE
    return {f"{e.serial_no}@{e.at.timestamp():.6f}" for e in gate.device.events}


@dataclass(frozen=True)
class Kept:
    rows: int
    distinct: int
    valid: int
    reasons: Counter[str]
    unjudged: int


def kept(site: Site, gates: Iterable[SimGate]) -> Kept:
    """What ``punches`` holds of these gates' punches."""
    serials = [g.serial for g in gates]
    [tally] = site.stack.rows("attendance", """
        SELECT count(*) AS rows, count(DISTINCT (device, event_key)) AS distinct_punches,
               count(*) FILTER (WHERE valid) AS valid,
               count(*) FILTER (WHERE (NOT valid AND reason IS NULL) OR (valid AND reason IS NOT NULL))
                 AS unjudged
        FROM punches WHERE device = ANY(:s)""", s=serials)
    reasons = Counter({str(r["reason"]): int(r["n"]) for r in site.stack.rows(
        "attendance", "SELECT reason, count(*) AS n FROM punches WHERE device = ANY(:s) AND NOT valid GROUP BY reason",
        s=serials)})
    return Kept(int(tally["rows"]), int(tally["distinct_punches"]), int(tally["valid"]), reasons,
                int(tally["unjudged"]))


def expected(gates: Iterable[SimGate]) -> int:
    return sum(len(identities(g)) for g in gates)


def consumer_pids(site: Site, kind: str = "attendance-consumer") -> list[int]:
    """The live processes of a kind, as the launcher logged their starts (restarts included)."""
    pids = []
    for line in site.launched.output(tail=0).splitlines():
        if line.startswith("{") and '"process_started"' in line:
            entry = json.loads(line)
            if str(entry["process"]).rsplit(".", 1)[0] == kind:
                pids.append(int(entry["pid"]))
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def restart_rabbitmq() -> None:
    """The machine's RabbitMQ stopped and started again (the node's application: every connection is closed and
    every queue comes back from disk), as a restart does."""
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120)


def restart_postgresql() -> None:
    """The machine's PostgreSQL cluster restarted (fast shutdown: every session is cut)."""
    [version] = os.listdir("/etc/postgresql")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
                   check=True, capture_output=True, timeout=120)
