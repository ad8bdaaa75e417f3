"""All-in-one mode: every service and the gateway in one process, SQLite files, the in-process bus."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server

from realname_gateway.app import create_app as create_gateway
from realname_gateway.upstream import WsgiUpstream
from realname_identity.authority_sim.serve import build_from_settings, make_server
from realname_kit.bus.inprocess import InProcessBus
from realname_kit.bus.liveness import HEARTBEATS
from realname_kit.bus.processing import MessageProcessor
from realname_kit.bus.relay import Relay
from realname_kit.bus.topology import QueueSpec
from realname_kit.db import Database
from realname_kit.gauges import ServiceGauges
from realname_kit.pruning import Pruner
from realname_kit.runtime import processors_for
from realname_kit.service import ServiceSpec
from realname_kit.settings import Settings
from realname_kit.web import create_service_app, gauged
from realname_launcher.dead_letters import dead_letter_file
from realname_launcher.demo_site.site import start_demo_site
from realname_launcher.gate_side import gate_consumer, split, with_gate_broker
from realname_launcher.platform import log, prepare, topology


def run_all_in_one(settings: Settings) -> None:
    settings = with_gate_broker(settings)  # the gate side alone on RabbitMQ, when it answers
    specs = prepare(settings)
    topo = topology(settings)
    bus = InProcessBus(topo, dead_letter_file(settings))
    stop = threading.Event()
    # Every service's readiness counts these threads (realname_kit.health): each beats at every round.
    threads = [threading.Thread(target=bus.run_waiting, args=(stop,), name="bus-waiting", daemon=True,
                                kwargs={"heartbeat": HEARTBEATS.beater("bus-waiting")})]
    upstreams, dbs, gauged_services = {}, [], []
    gate_queues: list[tuple[QueueSpec, MessageProcessor]] = []
    gateway_db: Database | None = None
    for spec in specs:
        db = Database(settings.database_url_for(spec.name))
        dbs.append(db)
        in_process, from_gates = split(processors_for(spec, db, topo, settings))
        bus.register(in_process)
        gate_queues += from_gates
        if spec.name == "gateway":
            gateway_db = db
        else:
            upstreams[spec.name] = WsgiUpstream(create_service_app(spec, settings, db))
        gauged_services.append(gauged(spec, db))
        threads += _service_threads(spec, db, bus, settings, stop)
    threads += gate_consumer(settings, topo, gate_queues, stop)
    simulator = _authority_simulator(settings)
    if simulator is not None:
        threads.append(threading.Thread(target=simulator.run, name="authority-sim", daemon=True))
    for thread in threads:
        thread.start()
    gateway = create_gateway(settings, upstreams, gateway_db,
                             collectors=[ServiceGauges(gauged_services, bus.dead_letter_depths)])
    server = create_server(gateway, listen=_listeners(settings), threads=16, ident="realname")
    url = f"http://{settings.gateway_host}:{settings.gateway_port}"
    log.info("platform_up", mode="all-in-one", gateway=url, docs=f"{url}/docs")
    print(f"realname is up (all-in-one): {url}  (API browser: {url}/docs; Ctrl-C stops)", flush=True)
    metrics_port = settings.value("REALNAME_GATEWAY_METRICS_PORT")
    if metrics_port:
        print(f"metrics: http://{settings.gateway_host}:{metrics_port}/metrics", flush=True)
    stop_demo = start_demo_site(settings, url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        log.info("platform_stopping")
        stop_demo()  # its gates and bridge first, while the platform still answers them
        server.close()
        if simulator is not None:
            simulator.close()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for db in dbs:
            db.dispose()
        print("realname stopped.", flush=True)


def _service_threads(spec: ServiceSpec, db: Database, bus: InProcessBus, settings: Settings,
                     stop: threading.Event) -> list[threading.Thread]:
    """The service's outbox relay onto the in-process bus, its pruner and its chores."""
    relay = Relay(db, spec.outbox_table, bus.publisher(spec.name), bus.topology.exchange_name(spec.name),
                  batch_size=settings.relay_batch, idle_seconds=settings.relay_idle_seconds, sole=True,
                  service=spec.name, heartbeat=HEARTBEATS.beater(f"{spec.name}-relay"))
    pruner = Pruner.for_service(db, dict(spec.metadata.tables), spec.retentions, settings)
    return [threading.Thread(target=relay.run, args=(stop,), name=f"{spec.name}-relay", daemon=True),
            threading.Thread(target=pruner.run, args=(stop,), name=f"{spec.name}-pruner", daemon=True),
            *(threading.Thread(target=chore, args=(settings, db, stop), name=f"{spec.name}-{chore.__name__}",
                               daemon=True) for chore in spec.chores)]


def _listeners(settings: Settings) -> str:
    """The public port, and the internal one of the gateway's /metrics."""
    metrics_port = settings.value("REALNAME_GATEWAY_METRICS_PORT")
    return " ".join(f"{settings.gateway_host}:{port}" for port in (settings.gateway_port, metrics_port) if port)


def _authority_simulator(settings: Settings) -> Any:
    """The identity authority's simulator on its port, when configured (the default for development)."""
    if settings.value("REALNAME_AUTHORITY_SIM") != "on":
        return None
    app, port = build_from_settings(settings)
    try:
        server = make_server(app, "127.0.0.1", port)
    except OSError as exc:  # the port is taken: the platform still runs, reads wait as pending (R3)
        log.warning("authority_simulator_not_started", port=port, error=str(exc),
                    advice="set REALNAME_AUTHORITY_SIM_PORT to a free port")
        return None
    log.info("authority_simulator_up", url=f"http://127.0.0.1:{server.effective_port}")
    return server
