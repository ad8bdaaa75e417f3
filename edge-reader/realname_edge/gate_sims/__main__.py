"""Run a simulated gate for a demo or a manual test: ``python -m realname_edge.gate_sims isapi --port 8081``.

Lines on standard input drive it: ``punch <worker key>``, ``offline``, ``online``, ``drift <seconds>``, ``full``,
``show``, ``quit``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from realname_edge.gate_sims.device import SimulatedDevice


def _isapi(args: argparse.Namespace) -> int:
    from realname_edge.gate_sims.isapi import IsapiTerminal

    device = SimulatedDevice(args.serial, model=args.model, firmware=args.firmware,
                             people_capacity=args.capacity, faces_capacity=args.capacity)
    terminal = IsapiTerminal(device, username=args.username, password=args.password, port=args.port,
                             latency_s=args.latency).start()
    print(f"ISAPI terminal {device.serial} at {terminal.url} (user {args.username})", flush=True)
    try:
        for line in sys.stdin:
            word, _, rest = line.strip().partition(" ")
            if word == "punch" and rest:
                print(f"serialNo {terminal.punch(rest.strip())}", flush=True)
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
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
