"""``realname admin …``: what only an operator may do, never through a public endpoint."""

from __future__ import annotations

import argparse
import getpass
import sys

from realname_codes.roles import ADMIN, REGULATOR
from realname_gateway.auth.accounts import create_account
from realname_gateway.auth.context import AuthContext
from realname_kit.db import Database
from realname_kit.privacy.keyring import Keyring, add_key
from realname_kit.privacy.rotation import rekey_service
from realname_kit.problems import Problem
from realname_kit.service import load_spec
from realname_kit.settings import Settings
from realname_launcher.platform import all_specs
from realname_launcher.stores import StoreMissing, require_database, require_file
from realname_registry.enterprises import register_enterprise


def add_admin_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="operator commands (regulator accounts, enterprises) on the running "
                           "platform's databases")
    admin.add_argument("--distributed", action="store_true",
                       help="the platform of `./realname up --distributed`: the same defaults (the local "
                            "PostgreSQL unless REALNAME_DATABASE_URL says otherwise)")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    for name, help_text in (("create-regulator", "a regulator account: reads everything, retrieves history"),
                            ("create-admin", "an administrator account")):
        cmd = commands.add_parser(name, help=help_text)
        cmd.add_argument("--username", required=True)
        cmd.add_argument("--display-name", required=True)
        cmd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("rotate-data-key", help="add a new personal-data key, make it active, and re-encrypt "
                        "every protected value under it")
    enterprise = commands.add_parser("register-enterprise", help="register an enterprise without its login")
    enterprise.add_argument("--name", required=True)
    enterprise.add_argument("--uscc", required=True)
    enterprise.add_argument("--kind", required=True, choices=["labour", "specialty", "general_contractor"])


def run_admin(settings: Settings, args: argparse.Namespace) -> int:
    """Act on the databases the settings describe; exit 2, saying why, when one is not there (never make it)."""
    try:
        return _run(settings, args)
    except StoreMissing as missing:
        print(f"realname admin: {missing.message}\n{missing.message_zh}", file=sys.stderr)
        return 2
    except Problem as refused:  # the account's own checks (a weak password, a name taken): what to do instead
        print(f"realname admin: {refused.title}. {refused.detail or ''}\n{refused.message_zh}", file=sys.stderr)
        return 2


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.admin_command == "rotate-data-key":
        specs = all_specs()
        for spec in specs:
            require_database(spec, settings.database_url_for(spec.name))
        require_file(settings.data_keys_file, "personal-data keyring", "个人数据密钥环", "REALNAME_DATA_KEYS_FILE")
        kid = add_key(settings.data_keys_file)
        keyring = Keyring.from_settings(settings)
        for spec in specs:
            changed = rekey_service(spec, Database(settings.database_url_for(spec.name)), keyring)
            print(f"{spec.name}: {changed} rows re-encrypted under key {kid}")
        return 0
    if args.admin_command == "register-enterprise":
        require_database(load_spec("registry"), settings.database_url_for("registry"))
        registry = Database(settings.database_url_for("registry"))
        created = register_enterprise(registry, args.name, args.uscc, args.kind)
        print(f"registered {created.name} ({created.uscc}) as {created.kind}: id {created.id}")
        return 0
    require_database(load_spec("gateway"), settings.database_url_for("gateway"))
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    kind = REGULATOR if args.admin_command == "create-regulator" else ADMIN
    ctx = AuthContext(settings, Database(settings.database_url_for("gateway")), {})
    account = create_account(ctx, None, username=args.username, display_name=args.display_name,
                             password=password, kind=kind)
    print(f"created {kind} account {account.username}: id {account.id}; it logs in as {account.login}")
    return 0
