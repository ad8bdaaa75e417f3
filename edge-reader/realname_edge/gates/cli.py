"""``realname-edge gates run|doctor``: the site bridge's commands.

    realname-edge gates run [--config FILE]
    realname-edge gates doctor [--config FILE] [--json]

FILE defaults to ``<data dir>/realname-edge/gates.toml``. A bad file prints what is wrong (naming the key) and
exits 2; ``doctor`` exits 0 when nothing is wrong, 1 otherwise; ``run`` exits 0 after SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import threading
from pathlib import Path

from realname_edge.config import ConfigError, default_spool
from realname_edge.gates.bridge import Bridge
from realname_edge.gates.config import load_bridge_config
from realname_edge.gates.doctor import render_text, run_gates_doctor
from realname_edge.gates.kinds import Builder
from realname_edge.report import ready_to_run, render_json


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gates = commands.add_parser("gates", help="the site bridge that drives the site's vendor face gates")
    actions = gates.add_subparsers(dest="gates_command", required=True)
    run = actions.add_parser("run", help="drive the configured gates for the platform until stopped")
    doctor = actions.add_parser("doctor", help="say what is wrong with the broker account or any gate")
    for action in (run, doctor):
        action.add_argument("--config", metavar="FILE", help="the bridge's TOML file (default: "
                            "<data dir>/realname-edge/gates.toml)")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")


def main(args: argparse.Namespace, stop: threading.Event, builders: dict[str, Builder] | None = None) -> int:
    try:
        config = load_bridge_config(args.config or default_config_file())
    except ConfigError as exc:
        print(f"realname-edge gates: {exc}", file=sys.stderr)
        return 2
    try:
        if args.gates_command == "doctor":
            results = run_gates_doctor(config, builders=builders)
            print(render_json(results) if args.json else render_text(results))
            return 0 if ready_to_run(results) else 1
        Bridge(config, builders=builders).run(stop)
    except ImportError as exc:  # a kind's vendor module missing from this installation
        print(f"realname-edge gates: a configured gate kind cannot be driven by this installation: {exc}",
              file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:  # the spool cannot be opened, the port is taken
        print(f"realname-edge gates: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def default_config_file() -> Path:
    return default_spool(os.environ, os.name == "nt").with_name("gates.toml")
