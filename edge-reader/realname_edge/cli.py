"""``realname-edge``: the card-reader daemon's command line.

    realname-edge run [--config FILE]
    realname-edge doctor [--config FILE] [--json] [--skip-read]
    realname-edge gates run|doctor ...   the site bridge (see ``realname_edge.gates.cli``)

Settings come from ``REALNAME_EDGE_*`` variables over the optional TOML file (see ``config``). A bad setting
prints what is wrong and exits 2; ``doctor`` exits 0 when ``run`` can start, 1 when it cannot.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
import threading
from types import FrameType

from realname_edge.config import ConfigError, EdgeConfig, load_config
from realname_edge.daemon import EdgeDaemon
from realname_edge.doctor import ready_to_run, render_json, render_text, run_doctor
from realname_edge.drivers.base import drivers_by_name
from realname_edge.gates import cli as gates_cli
from realname_edge.gates.kinds import Builder
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool

log = logging.getLogger("realname_edge")


def main(argv: list[str] | None = None, *, gate_builders: dict[str, Builder] | None = None) -> int:
    """``gate_builders``: drivers by gate kind in place of the vendor ones (a test's fakes)."""
    args = _parser().parse_args(argv)
    if args.command == "gates":
        _configure_logging()
        stop = threading.Event()
        if args.gates_command == "run":
            _stop_on_signals(stop)
        return gates_cli.main(args, stop, gate_builders)
    try:
        config = load_config(config_file=args.config)
        if args.command == "run":
            config.require_runnable()
    except ConfigError as exc:
        print(f"realname-edge: {exc}", file=sys.stderr)
        return 2
    _configure_logging()
    if args.command == "run":
        return run(config)
    return doctor(config, as_json=args.json, skip_read=args.skip_read)


def run(config: EdgeConfig) -> int:
    try:
        driver = drivers_by_name()[config.driver](config.target)
    except ImportError as exc:  # pcsc without pyscard's PC/SC library, sam-serial without pyserial
        print(f"realname-edge: the {config.driver} driver cannot be used here: {exc}", file=sys.stderr)
        return 1
    try:
        spool = CardSpool(config.spool_path)
    except (OSError, sqlite3.Error) as exc:
        print(f"realname-edge: cannot open the spool {config.spool_path}: {exc}", file=sys.stderr)
        return 1
    with spool:
        publisher = CardReadPublisher(config.amqp_url, config.exchange, config.employer_id, spool,
                                      seal_key=config.seal_key)
        stop = threading.Event()
        _stop_on_signals(stop)
        EdgeDaemon(config, driver, publisher).run(stop)
    return 0


def doctor(config: EdgeConfig, *, as_json: bool, skip_read: bool) -> int:
    results = run_doctor(config, skip_read=skip_read)
    print(render_json(results) if as_json else render_text(results))
    return 0 if ready_to_run(results) else 1


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):  # SIGBREAK: Ctrl+Break in a Windows console
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handle)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realname-edge", description="The realname ID-card reader at the office, and the site gate bridge.")
    commands = parser.add_subparsers(dest="command", required=True)
    run_command = commands.add_parser("run", help="read ID cards and publish every read as card.read")
    doctor_command = commands.add_parser("doctor", help="say what is wrong with the reader, the card or the broker")
    for command in (run_command, doctor_command):
        command.add_argument("--config", metavar="FILE", help="TOML file of settings (REALNAME_EDGE_* variables win)")
    doctor_command.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor_command.add_argument("--skip-read", action="store_true", help="do not try to read a card")
    gates_cli.add_parser(commands)
    return parser


def _configure_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pika logs each failed connection at length; the publisher and the doctor already say what failed.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    if hasattr(sys.stdout, "reconfigure"):  # a console that cannot show Chinese gets "?" rather than a crash
        sys.stdout.reconfigure(errors="replace")
