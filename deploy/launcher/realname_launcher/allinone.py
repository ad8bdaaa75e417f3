"""All-in-one mode: every service and the gateway in one process, SQLite files, the in-process bus."""

from __future__ import annotations

import threading

from waitress.server import create_server

from realname_gateway.app import create_app as create_gateway
from realname_gateway.upstream import WsgiUpstream
from realname_kit.bus.inprocess import InProcessBus
from realname_kit.bus.relay import Relay
from realname_kit.db import Database
from realname_kit.runtime import processors_for
from realname_kit.settings import Settings
from realname_kit.web import create_service_app
from realname_launcher.platform import log, prepare, topology


def run_all_in_one(settings: Settings) -> None:
    specs = prepare(settings)
    topo = topology(settings)
    bus = InProcessBus(topo, settings.data_dir / "dead-letters.jsonl")
    stop = threading.Event()
    threads, upstreams, dbs = [], {}, []
    gateway_db: Database | None = None
    for spec in specs:
        db = Database(settings.database_url_for(spec.name))
        dbs.append(db)
        bus.register(processors_for(spec, db, topo, settings))
        if spec.name == "gateway":
            gateway_db = db
        else:
            upstreams[spec.name] = WsgiUpstream(create_service_app(spec, settings, db))
        relay = Relay(db, spec.outbox_table, bus.publisher(spec.name), topo.exchange_name(spec.name),
                      batch_size=settings.relay_batch, idle_seconds=settings.relay_idle_seconds, sole=True)
        threads.append(threading.Thread(target=relay.run, args=(stop,), name=f"{spec.name}-relay", daemon=True))
    for thread in threads:
        thread.start()
    server = create_server(create_gateway(settings, upstreams, gateway_db), host=settings.gateway_host,
                           port=settings.gateway_port, threads=16, ident="realname")
    url = f"http://{settings.gateway_host}:{server.effective_port}"
    log.info("platform_up", mode="all-in-one", gateway=url, docs=f"{url}/docs")
    print(f"realname is up (all-in-one): {url}  (API browser: {url}/docs; Ctrl-C stops)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        log.info("platform_stopping")
        server.close()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for db in dbs:
            db.dispose()
        print("realname stopped.", flush=True)
