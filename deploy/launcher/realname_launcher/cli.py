"""``realname``: run the platform (``up``), migrate it, or list its settings."""

from __future__ import annotations

import argparse
import os
import sys

from realname_kit.logs import configure_logging
from realname_kit.private_files import create_privately, keep_private
from realname_kit.settings import Settings, documented
from realname_launcher.admin import add_admin_commands
from realname_launcher.dead_letters import add_dead_letter_commands
from realname_launcher.processes import parse_scale, process_kinds

LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def main(argv: list[str] | None = None) -> int:
    create_privately()  # databases, keys, the dev CA, dead letters: whatever any command writes, 0600 / 0700
    parser = argparse.ArgumentParser(prog="realname", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the platform")
    up.add_argument("--distributed", action="store_true",
                    help="separate processes on RabbitMQ and PostgreSQL (the local ones unless "
                         "REALNAME_AMQP_URL and REALNAME_DATABASE_URL say otherwise)")
    up.add_argument("--scale", action="append", default=[], metavar="PROCESS=N",
                    help="copies of a process kind (e.g. attendance-consumer=3); for <service>-web, "
                         "gunicorn workers")
    migrate = sub.add_parser("migrate", help="create and migrate every service's database")
    migrate.add_argument("--distributed", action="store_true",
                         help="those of `./realname up --distributed` (the same defaults)")
    sub.add_parser("dev-ca", help="the development certificate authority (init, issue, revoke, sign)",
                   add_help=False)
    add_admin_commands(sub)
    add_dead_letter_commands(sub)
    sub.add_parser("settings", help="print the settings table")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["dev-ca"]:
        from realname_gateway.certs.cli import main as dev_ca
        return dev_ca(argv[1:])
    args = parser.parse_args(argv)

    if args.command == "settings":
        print(settings_table())
        return 0
    env = dict(os.environ)
    if getattr(args, "distributed", False):  # up, migrate and admin: one platform, the same defaults
        env.setdefault("REALNAME_AMQP_URL", LOCAL_AMQP)
        env.setdefault("REALNAME_DATABASE_URL", LOCAL_POSTGRES)
        env.setdefault("REALNAME_REDIS_URL", LOCAL_REDIS)
    elif args.command == "up" and not env.get("REALNAME_AMQP_URL"):
        # All-in-one: the services on the in-process bus, the gate side on the local RabbitMQ (gates are devices
        # on a network). Set but empty: no gate broker.
        env.setdefault("REALNAME_GATE_AMQP_URL", LOCAL_AMQP)
    if env.get("REALNAME_AUTHORITY_SIM", "on") == "on" and not env.get("REALNAME_IDENTITY_AUTHORITY_URL"):
        # The identity service asks the simulator this launcher starts, wherever its port is.
        port = env.get("REALNAME_AUTHORITY_SIM_PORT") or "8110"
        env["REALNAME_IDENTITY_AUTHORITY_URL"] = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(env)
    configure_logging(settings.log_level, settings.log_format, process="launcher")
    if args.command in ("admin", "dead-letters"):
        return _operator_command(settings, args)
    if args.command in ("up", "migrate"):
        keep_private(settings.data_dir)  # and what an older version left readable by others
    if args.command == "migrate":
        from realname_launcher.platform import prepare
        prepare(settings)
        return 0
    if settings.distributed != bool(settings.database_url):
        parser.error("distributed mode needs both REALNAME_AMQP_URL and REALNAME_DATABASE_URL")
    if not settings.distributed:
        if args.scale:
            parser.error("--scale applies to distributed mode (add --distributed)")
        from realname_launcher.allinone import run_all_in_one
        run_all_in_one(settings)
        return 0
    try:
        scale = parse_scale(args.scale, {k.name for k in process_kinds(settings, {})})
    except ValueError as exc:
        parser.error(str(exc))
    from realname_launcher.supervisor import run_distributed
    return run_distributed(settings, scale)


def settings_table() -> str:
    """The plumbing's settings, each service's, then the edge-reader's (its own, on the employer's PC)."""
    from realname_edge.config import VARIABLES
    rows = [(s.env, s.default, s.doc) for s in documented()]
    rows += [(v.env, v.default, f"Edge-reader: {v.doc} (`{v.key}` in its --config file)") for v in VARIABLES]
    return "\n".join(["| variable | default | meaning |", "|---|---|---|",
                      *(f"| `{env}` | `{default}` | {doc} |" for env, default, doc in rows)])


def _operator_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "admin":
        from realname_launcher.admin import run_admin
        return run_admin(settings, args)
    from realname_launcher.dead_letters import run_dead_letters
    return run_dead_letters(settings, args)


if __name__ == "__main__":
    raise SystemExit(main())
