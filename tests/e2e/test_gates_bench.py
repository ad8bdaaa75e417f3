"""``bench/gates.py`` runs as ops run it, with tiny numbers: its JSON holds every figure, nobody went missing, and
the new gate's full sync took no less than the terminal's own floor (it cannot be faster than its calls)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TINY = ["--acceptances", "6", "--batch", "3", "--every", "0.5", "--native", "1", "--isapi", "1", "--zkteco", "1",
        "--bridges", "1", "--full-sync", "8", "--latency", "0.05"]


def test_the_gate_benchmark_measures_acceptances_exits_and_a_full_sync_and_prints_them_as_json() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "gates.py"), *TINY], cwd=ROOT, capture_output=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    figures = json.loads(done.stdout)

    for part in ("acceptance_to_synced_ms", "exit_to_revoked_ms"):
        measured = figures[part]
        assert (measured["workers"], measured["missing"]) == (6, 0), measured
        assert 0 < measured["p50_ms"] <= measured["p95_ms"] <= measured["p99_ms"], measured
        assert set(measured["by_kind"]) == {"native", "hikvision-isapi", "zkteco-push"}, measured
    assert figures["full_sync_complete"] and figures["full_sync_held"] == 8, figures
    assert figures["floor_s"] == pytest.approx(8 * 2 * 0.05)
    assert figures["full_sync_s"] >= figures["floor_s"] and figures["ratio_to_floor"] >= 1, figures
    assert {"attendance-web", "attendance-consumer", "attendance-relay", "bridge-0"} <= set(figures["peak_rss_mb"])
    assert isinstance(figures["met"], bool)
