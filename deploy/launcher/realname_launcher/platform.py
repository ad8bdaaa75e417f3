"""What both run modes share: keys, migrations, the topology."""

from __future__ import annotations

from kombu import Connection

from realname_gateway.certs.devca import init_ca
from realname_kit.bus.topology import Topology
from realname_kit.keys import ensure_signing_keys
from realname_kit.logs import get_logger
from realname_kit.migrate import upgrade
from realname_kit.privacy.keyring import ensure_keyring, shared_keyring
from realname_kit.service import ServiceSpec, platform_specs
from realname_kit.settings import Settings

log = get_logger("realname.launcher")


def all_specs() -> list[ServiceSpec]:
    """Every database of the platform: the services' and the gateway's (accounts, logins)."""
    return list(platform_specs())


def prepare(settings: Settings) -> list[ServiceSpec]:
    """Keys, databases and migrations, and in distributed mode the broker's topology. Idempotent."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_development_secrets(settings)
    specs = all_specs()
    for spec in specs:
        upgrade(spec, settings.database_url_for(spec.name), keyring=lambda: shared_keyring(settings))
        log.info("database_ready", service=spec.name)
    if settings.distributed:
        with Connection(settings.amqp_url, connect_timeout=10) as conn:
            conn.ensure_connection(max_retries=20, interval_start=0.5, interval_step=1, interval_max=3)
            topology(settings).declare(conn)
    return specs


def ensure_development_secrets(settings: Settings) -> None:
    """Where a setting points at its default file under the data dir and the file is missing, make one.

    A production deployment sets these files itself (the real CA's bundle, keys from its vault); a first
    ``./realname up`` must work with nothing configured.
    """
    keys = settings.data_dir / "keys"
    if settings.auth_private_key_file == keys / "token-signing.pem":
        ensure_signing_keys(settings.auth_private_key_file, settings.auth_public_key_file)
    if settings.data_keys_file == keys / "data-keys.json":
        ensure_keyring(settings.data_keys_file)
    dev_ca = settings.data_dir / "dev-ca"
    if settings.ca_bundle_file == dev_ca / "ca.pem" and not settings.ca_bundle_file.exists():
        init_ca(dev_ca)
        log.info("development_ca_created", directory=str(dev_ca))


def topology(settings: Settings) -> Topology:
    return Topology(settings.bus_prefix, settings.delivery_limit)
