"""Run a simulated gate for a demo or a manual test.

``python -m realname_edge.gate_sims isapi --port 8081`` (a Hikvision ISAPI terminal the bridge calls),
``python -m realname_edge.gate_sims zkteco --serial SN --server http://bridge:8088/iclock`` (a ZKTeco PUSH terminal
polling a bridge). Lines on standard input drive it: ``punch <worker key>``, ``offline``, ``online``,
``drift <seconds>``, ``full``, ``show``, ``quit``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from realname_edge.gate_sims.device import SimulatedDevice


def drive(device: SimulatedDevice, punch: Callable[[str], Any]) -> None:
    """Obey the lines on standard input until ``quit`` or its end."""
    for line in sys.stdin:
        word, _, rest = line.strip().partition(" ")
        if word == "punch" and rest:
            print(f"punched {punch(rest.strip())}", flush=True)
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


def _isapi(args: argparse.Namespace) -> int:
    from realname_edge.gate_sims.isapi import IsapiTerminal

    device = SimulatedDevice(args.serial, model=args.model, firmware=args.firmware,
                             people_capacity=args.capacity, faces_capacity=args.capacity)
    terminal = IsapiTerminal(device, username=args.username, password=args.password, port=args.port,
                             latency_s=args.latency).start()
    print(f"ISAPI terminal {device.serial} at {terminal.url} (user {args.username})", flush=True)
    try:
        drive(device, terminal.punch)
    finally:
        terminal.stop()
    return 0


def _zkteco(args: argparse.Namespace) -> int:
    from realname_edge.gate_sims.zkteco import ZkTerminal

    device = SimulatedDevice(args.serial, model="SIM-ZK-FACE", people_capacity=args.people_capacity,
                             faces_capacity=args.faces_capacity)
    terminal = ZkTerminal(device, args.server, delay_s=args.delay, resend_times=args.resend_times).start()
    print(f"ZKTeco terminal {device.serial} polling {args.server}", flush=True)
    try:
        drive(device, terminal.punch)
    finally:
        terminal.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m realname_edge.gate_sims", description=__doc__)
    sub = parser.add_subparsers(dest="protocol", required=True)
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
