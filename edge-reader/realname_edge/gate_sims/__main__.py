"""Run one simulated gate in the foreground, for demos and manual tests: ``python -m realname_edge.gate_sims …``.

    python -m realname_edge.gate_sims native --amqp-url URL --account ACCOUNT --serial SN [--prefix P]
    python -m realname_edge.gate_sims isapi --port 8081            (a Hikvision ISAPI terminal the bridge calls)
    python -m realname_edge.gate_sims zkteco --serial SN --server http://bridge:8088/iclock   (polls a bridge)

Lines on standard input drive it: a worker key (or ``punch <key>``) punches, ``offline``, ``online``,
``drift <seconds>``, ``full``, ``show``, ``quit``. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from realname_edge.gate_sims.device import SimulatedDevice


def drive(device: SimulatedDevice, punch: Callable[[str], Any], stop: threading.Event) -> None:
    """Obey the lines on standard input until ``quit`` or its end."""
    for line in sys.stdin:
        word, _, rest = line.strip().partition(" ")
        if word == "punch" and rest:
            punch(rest.strip())
        elif word in ("offline", "online"):
            device.go_offline() if word == "offline" else device.come_back()
        elif word == "drift" and rest:
            device.drift(float(rest))
        elif word == "full":
            device.fill_up()
        elif word == "show":
            print({key: sha[:12] for key, sha in device.listing().items()}, flush=True)
        elif word == "quit":
            break
        elif word.isdigit() and not rest:
            punch(word)
    stop.set()


def _run_until_stopped(device: SimulatedDevice, punch: Callable[[str], Any], stop: threading.Event) -> None:
    threading.Thread(target=drive, args=(device, punch, stop), daemon=True).start()
    stop.wait()


def _native(args: argparse.Namespace, stop: threading.Event) -> int:
    from realname_edge.gate_sims.native import NativeGate

    gate = NativeGate(SimulatedDevice(args.serial), args.amqp_url, args.account, prefix=args.prefix,
                      report_every_s=args.report_every)
    gate.start()
    print(f"native gate {args.serial} running; type a worker key and Enter to punch, Ctrl-C to stop",
          file=sys.stderr)
    try:
        _run_until_stopped(gate.device, gate.punch, stop)
    finally:
        gate.stop()
    return 0


def _isapi(args: argparse.Namespace, stop: threading.Event) -> int:
    from realname_edge.gate_sims.isapi import IsapiTerminal

    device = SimulatedDevice(args.serial, model=args.model, firmware=args.firmware,
                             people_capacity=args.capacity, faces_capacity=args.capacity)
    terminal = IsapiTerminal(device, username=args.username, password=args.password, port=args.port,
                             latency_s=args.latency).start()
    print(f"ISAPI terminal {device.serial} at {terminal.url} (user {args.username})", flush=True)
    try:
        _run_until_stopped(device, terminal.punch, stop)
    finally:
        terminal.stop()
    return 0


def _zkteco(args: argparse.Namespace, stop: threading.Event) -> int:
    from realname_edge.gate_sims.zkteco import ZkTerminal

    device = SimulatedDevice(args.serial, model="SIM-ZK-FACE", people_capacity=args.people_capacity,
                             faces_capacity=args.faces_capacity)
    terminal = ZkTerminal(device, args.server, delay_s=args.delay, resend_times=args.resend_times).start()
    print(f"ZKTeco terminal {device.serial} polling {args.server}", flush=True)
    try:
        _run_until_stopped(device, terminal.punch, stop)
    finally:
        terminal.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m realname_edge.gate_sims",
                                     description="Run one simulated face gate until Ctrl-C.")
    sub = parser.add_subparsers(dest="simulator", required=True, metavar="SIMULATOR")
    native = sub.add_parser("native", help="a native gate speaking the platform's protocol over AMQP")
    native.add_argument("--amqp-url", required=True, help="the broker, with the gate's account and password")
    native.add_argument("--account", required=True, help="the gate's broker account (its command queue's name)")
    native.add_argument("--serial", required=True, help="the device serial the platform knows the gate by")
    native.add_argument("--prefix", default="", help="the names' prefix of the platform's exchanges and queues")
    native.add_argument("--report-every", type=float, default=30, help="seconds between health reports")
    native.set_defaults(run=_native)
    isapi = sub.add_parser("isapi", help="a Hikvision ISAPI face terminal over HTTP on 127.0.0.1")
    isapi.add_argument("--serial", default="DS-K1T671-SIM0001")
    isapi.add_argument("--model", default="DS-K1T671MF")
    isapi.add_argument("--firmware", default="V3.2.30 build 230101")
    isapi.add_argument("--port", type=int, default=0)
    isapi.add_argument("--username", default="admin")
    isapi.add_argument("--password", default="Hik12345!")
    isapi.add_argument("--capacity", type=int, default=3000)
    isapi.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")
    isapi.set_defaults(run=_isapi)
    zk = sub.add_parser("zkteco", help="a ZKTeco PUSH terminal polling a bridge's /iclock")
    zk.add_argument("--serial", required=True)
    zk.add_argument("--server", required=True, help="the bridge's PUSH address, e.g. http://127.0.0.1:8088/iclock")
    zk.add_argument("--delay", type=float, default=10.0, help="poll seconds at most (the server's Delay if lower)")
    zk.add_argument("--resend-times", type=int, default=1, help="send every ATTLOG batch this many times")
    zk.add_argument("--people-capacity", type=int, default=3000)
    zk.add_argument("--faces-capacity", type=int, default=3000)
    zk.set_defaults(run=_zkteco)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return int(args.run(args, stop))


if __name__ == "__main__":
    sys.exit(main())
