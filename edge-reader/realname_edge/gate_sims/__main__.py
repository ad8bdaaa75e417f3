"""One simulated gate in the foreground, for demos: ``python -m realname_edge.gate_sims <simulator> …``.

    python -m realname_edge.gate_sims native --amqp-url URL --account ACCOUNT --serial SN [--prefix P]

Each simulator is a subcommand whose ``run`` function gets the parsed arguments and a stop event (set by
Ctrl-C or SIGTERM) and returns the exit status. The native gate punches each worker key typed on stdin.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable

from realname_edge.gate_sims.device import SimulatedDevice
from realname_edge.gate_sims.native import NativeGate

Run = Callable[[argparse.Namespace, threading.Event], int]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m realname_edge.gate_sims",
                                     description="Run one simulated face gate until Ctrl-C.")
    commands = parser.add_subparsers(dest="simulator", required=True, metavar="SIMULATOR")
    native = commands.add_parser("native", help="a native gate speaking the platform's protocol over AMQP")
    native.add_argument("--amqp-url", required=True, help="the broker, with the gate's account and password")
    native.add_argument("--account", required=True, help="the gate's broker account (its command queue's name)")
    native.add_argument("--serial", required=True, help="the device serial the platform knows the gate by")
    native.add_argument("--prefix", default="", help="the names' prefix of the platform's exchanges and queues")
    native.add_argument("--report-every", type=float, default=30, help="seconds between health reports")
    native.set_defaults(run=_native)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run: Run = args.run
    return run(args, stop)


def _native(args: argparse.Namespace, stop: threading.Event) -> int:
    gate = NativeGate(SimulatedDevice(args.serial), args.amqp_url, args.account, prefix=args.prefix,
                      report_every_s=args.report_every)
    gate.start()
    threading.Thread(target=_punch_typed_keys, args=(gate,), daemon=True).start()
    print(f"native gate {args.serial} running; type a worker key and Enter to punch, Ctrl-C to stop",
          file=sys.stderr)
    stop.wait()
    gate.stop()
    return 0


def _punch_typed_keys(gate: NativeGate) -> None:
    for line in sys.stdin:
        if key := line.strip():
            gate.punch(key)


if __name__ == "__main__":
    sys.exit(main())
