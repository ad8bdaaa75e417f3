"""``python -m realname_identity.authority_sim``: the simulated identity authority as a process of its own.

It is configured by the ``REALNAME_AUTHORITY_SIM_*`` settings (``./realname settings`` lists them): the register
of people, the calendar, closures, the mode, latency, failure rates and their seed.
"""

from __future__ import annotations

import argparse

from realname_identity.authority_sim.serve import build_from_settings, make_server
from realname_kit.settings import Settings


def main(argv: list[str] | None = None) -> None:
    app, port = build_from_settings(Settings.from_env())
    parser = argparse.ArgumentParser(prog="python -m realname_identity.authority_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port, help="default: REALNAME_AUTHORITY_SIM_PORT")
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    server = make_server(app, args.host, args.port, args.threads)
    print(f"identity authority simulator on http://{args.host}:{server.effective_port}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
