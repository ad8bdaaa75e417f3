"""What both run modes share: keys, migrations, the topology."""

from __future__ import annotations

from kombu import Connection

from realname_kit.bus.topology import Topology
from realname_kit.keys import ensure_signing_keys
from realname_kit.logs import get_logger
from realname_kit.migrate import upgrade
from realname_kit.service import ServiceSpec, load_spec
from realname_kit.settings import SERVICES, Settings

log = get_logger("realname.launcher")


def all_specs() -> list[ServiceSpec]:
    return [load_spec(name) for name in SERVICES]


def prepare(settings: Settings) -> list[ServiceSpec]:
    """Keys, databases and migrations, and in distributed mode the broker's topology. Idempotent."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    private_key = settings.data_dir / "keys" / "token-signing.pem"
    if settings.auth_public_key_file == settings.data_dir / "keys" / "token-signing.pub.pem":
        ensure_signing_keys(private_key, settings.auth_public_key_file)
    specs = all_specs()
    for spec in specs:
        upgrade(spec, settings.database_url_for(spec.name))
        log.info("database_ready", service=spec.name)
    if settings.distributed:
        with Connection(settings.amqp_url, connect_timeout=10) as conn:
            conn.ensure_connection(max_retries=20, interval_start=0.5, interval_step=1, interval_max=3)
            topology(settings).declare(conn)
    return specs


def topology(settings: Settings) -> Topology:
    return Topology(settings.bus_prefix, settings.delivery_limit)
