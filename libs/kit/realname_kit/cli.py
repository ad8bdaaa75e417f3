"""``realname-svc``: the processes of one service in distributed mode (and its migrations)."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from prometheus_client import start_http_server

from realname_kit.bus.confirming_publisher import ConfirmingPublisher, PublishFailed
from realname_kit.bus.consumer import AmqpConsumer
from realname_kit.bus.liveness import HEARTBEATS, Presence
from realname_kit.bus.relay import Relay
from realname_kit.bus.topology import Topology, declared
from realname_kit.db import Database
from realname_kit.logs import configure_logging, get_logger
from realname_kit.migrate import make_revision, upgrade
from realname_kit.privacy.keyring import Keyring, shared_keyring
from realname_kit.privacy.rotation import rekey_service
from realname_kit.private_files import create_privately
from realname_kit.pruning import Pruner
from realname_kit.runtime import processors_for
from realname_kit.service import load_spec
from realname_kit.settings import Settings

log = get_logger("realname.svc")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="realname-svc", description=__doc__)
    parser.add_argument("command", choices=["migrate", "consumer", "relay", "revision", "rekey"])
    parser.add_argument("service")
    parser.add_argument("-m", "--message", default="change", help="revision message")
    args = parser.parse_args(argv)
    create_privately()
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format, service=args.service, process=args.command)
    spec = load_spec(args.service)
    if spec.check_settings is not None and args.command in ("consumer", "relay"):
        spec.check_settings(settings)
    url = settings.database_url_for(spec.name)
    if args.command == "migrate":
        upgrade(spec, url, keyring=lambda: shared_keyring(settings))
        log.info("migrated", service=spec.name)
        return 0
    if args.command == "revision":
        make_revision(spec, url, args.message)
        return 0
    if args.command == "rekey":
        changed = rekey_service(spec, Database(url), Keyring.from_settings(settings))
        log.info("rekeyed", service=spec.name, rows=changed)
        return 0
    if not settings.distributed:
        parser.error("consumer and relay processes need REALNAME_AMQP_URL (all-in-one mode runs them in-process)")
    stop = _stop_on_signals()
    _serve_own_metrics(settings)
    db = Database(url)
    topology = Topology(settings.bus_prefix, settings.delivery_limit)
    declared()  # every service's spec, loaded before a connection opens: no connection waits on imports
    if args.command == "consumer":
        subscriptions = processors_for(spec, db, topology, settings)
        if not subscriptions:
            log.info("nothing_to_consume", service=spec.name)
            return 0
        AmqpConsumer(settings.amqp_url, topology, spec.name, subscriptions,
                     prefetch=settings.consumer_prefetch_for(spec.name)).run(stop)
        return 0
    # The relay process also prunes what is past its retention, in short transactions beside the relay.
    pruner = Pruner.for_service(db, dict(spec.metadata.tables), spec.retentions, settings)
    threading.Thread(target=pruner.run, args=(stop,), name=f"{spec.name}-pruner", daemon=True).start()
    for chore in spec.chores:
        threading.Thread(target=chore, args=(settings, db, stop), name=f"{spec.name}-{chore.__name__}",
                         daemon=True).start()
    with ConfirmingPublisher(settings.amqp_url, connection_name=f"{spec.name}-relay") as publisher:
        _declare(settings, topology)
        try:
            publisher.connect()
        except PublishFailed as exc:  # the relay loop keeps trying
            log.warning("relay_cannot_connect_yet", error=str(exc))
        heartbeat = HEARTBEATS.beater("relay")
        presence = Presence(settings.amqp_url, topology.presence_queue(spec.name, "relay"),
                            alive=lambda: not HEARTBEATS.stale())
        threading.Thread(target=presence.run, args=(stop,), name="relay-presence", daemon=True).start()
        Relay(db, spec.outbox_table, publisher, topology.exchange_name(spec.name), service=spec.name,
              batch_size=settings.relay_batch, idle_seconds=settings.relay_idle_seconds,
              heartbeat=heartbeat).run(stop)
    return 0


def _declare(settings: Settings, topology: Topology) -> None:
    from kombu import Connection
    with Connection(settings.amqp_url, connect_timeout=10) as conn:
        conn.ensure_connection(max_retries=30, interval_start=0.5, interval_step=1, interval_max=5)
        topology.declare(conn)


def _serve_own_metrics(settings: Settings) -> None:
    port = settings.value("REALNAME_PROCESS_METRICS_PORT")
    if port:
        start_http_server(int(port))  # this process's counters, on a thread of their own
        log.info("metrics_served", port=int(port))


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()
    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


if __name__ == "__main__":
    raise SystemExit(main())
