"""``python -m realname_identity.authority_sim``: the simulated identity authority as a process of its own."""

from __future__ import annotations

import argparse
from pathlib import Path

from realname_identity.authority_sim.failures import Failures
from realname_identity.authority_sim.serve import DEFAULT_DATA_FILE, build_app, make_server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m realname_identity.authority_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_FILE, help="people file (JSON)")
    parser.add_argument("--calendar", type=Path, help="calendar file (TOML or JSON); none: weekdays 08:00–20:00")
    parser.add_argument("--closures", default="", help="extra closure dates: 2025-10-01..2025-10-08,2025-06-02")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="base latency of every request")
    parser.add_argument("--slow-rate", type=float, default=0.0, help="probability of a too-slow answer")
    parser.add_argument("--slow-seconds", type=float, default=10.0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="probability of a 500 or 502")
    parser.add_argument("--garbled-rate", type=float, default=0.0, help="probability of a 200 that is not JSON")
    parser.add_argument("--seed", type=int, help="seed of the mishaps (none: a different run each time)")
    parser.add_argument("--threads", type=int, default=16)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    failures = Failures(slow_probability=args.slow_rate, slow_seconds=args.slow_seconds,
                        error_probability=args.error_rate, garbled_probability=args.garbled_rate,
                        base_latency_seconds=args.latency_ms / 1000, seed=args.seed)
    server = make_server(build_app(args.data, args.calendar, args.closures, failures), args.host, args.port,
                         args.threads)
    print(f"identity authority simulator on http://{args.host}:{server.effective_port}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
