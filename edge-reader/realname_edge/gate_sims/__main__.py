"""Run a simulated gate: ``python -m realname_edge.gate_sims zkteco --serial SN --server http://bridge:8088/iclock``."""

from __future__ import annotations

import argparse
import logging
import threading

from realname_edge.gate_sims.device import SimulatedDevice


def _zkteco(args: argparse.Namespace) -> None:
    from realname_edge.gate_sims.zkteco import ZkTerminal

    device = SimulatedDevice(args.serial, model="SIM-ZK-FACE", people_capacity=args.people_capacity,
                             faces_capacity=args.faces_capacity)
    terminal = ZkTerminal(device, args.server, delay_s=args.delay, resend_times=args.resend_times).start()
    try:
        threading.Event().wait()  # until Ctrl-C
    except KeyboardInterrupt:
        terminal.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m realname_edge.gate_sims", description="Simulated face gates.")
    commands = parser.add_subparsers(dest="command", required=True)
    zk = commands.add_parser("zkteco", help="a ZKTeco PUSH terminal polling a bridge's /iclock")
    zk.add_argument("--serial", required=True)
    zk.add_argument("--server", required=True, help="the bridge's PUSH address, e.g. http://127.0.0.1:8088/iclock")
    zk.add_argument("--delay", type=float, default=10.0, help="poll seconds at most (the server's Delay if lower)")
    zk.add_argument("--resend-times", type=int, default=1, help="send every ATTLOG batch this many times")
    zk.add_argument("--people-capacity", type=int, default=3000)
    zk.add_argument("--faces-capacity", type=int, default=3000)
    zk.set_defaults(run=_zkteco)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args.run(args)


if __name__ == "__main__":
    main()
