"""End-to-end bus benchmark: outbox -> relay -> RabbitMQ -> consumer with inbox, against the raw baseline.

    ./realname bench-bus            (or: .venv/bin/python bench/bus.py --events 100000)

Prints one JSON object: events/s end to end, p50/p99 latency from the producer's commit to the handler
having run, peak memory of each process, and the same figures for the raw baseline (pika publishing
with confirms in an async window + a pika consumer, no database), with the ratio between the two.
Uses the local RabbitMQ and PostgreSQL (or REALNAME_AMQP_URL / REALNAME_DATABASE_URL), under a
prefix of its own that it removes afterwards.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import signal
import statistics
import sys
import threading
import time
import uuid
from typing import Any

import pika
from kombu import Connection
from sqlalchemy import Column, Float, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from realname_kit.bus.confirming_publisher import ConfirmingPublisher, OutgoingMessage
from realname_kit.bus.consumer import AmqpConsumer
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.outbox import Outbox
from realname_kit.bus.processing import MessageProcessor, handles_batch
from realname_kit.bus.relay import Relay
from realname_kit.bus.tables import messaging_tables
from realname_kit.bus.topology import Binding, QueueSpec, Topology
from realname_kit.db import Database, drop_database, ensure_database
from realname_kit.logs import configure_logging
from realname_kit.settings import with_database

AMQP = os.environ.get("REALNAME_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"
POSTGRES = os.environ.get("REALNAME_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/"
EVENT = "bench.recorded"

metadata = MetaData()
outbox_t, inbox_t = messaging_tables(metadata)
effects = Table("effects", metadata, Column("event_id", String(36), primary_key=True),
                Column("handled_at", Float, nullable=False))
SPEC = QueueSpec("bench", "events", (Binding("registry", EVENT),))


@handles_batch
def record_effects(session: Session, events: list[Envelope]) -> None:
    now = time.time()
    session.execute(insert(effects), [{"event_id": e.id, "handled_at": now} for e in events])


def relay_process(db_url: str, prefix: str) -> None:
    stop = _stop_event()
    topology = Topology(prefix)
    with ConfirmingPublisher(AMQP, connection_name="bench-relay") as publisher:
        Relay(Database(db_url), outbox_t, publisher, topology.exchange_name("registry"),
              batch_size=1000, idle_seconds=0.01).run(stop)
    _report_memory("relay")


def consumer_process(db_url: str, prefix: str) -> None:
    stop = _stop_event()
    topology = Topology(prefix)
    processor = MessageProcessor(topology.queue_name(SPEC), Database(db_url), inbox_t, {EVENT: record_effects})
    AmqpConsumer(AMQP, topology, "bench", [(SPEC, processor)], prefetch=2000).run(stop)
    _report_memory("consumer")


def _stop_event() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop


def _report_memory(name: str) -> None:
    with open(os.environ["BENCH_MEMORY_FILE"], "a") as f:
        f.write(json.dumps({name: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}) + "\n")


def run_outbox_path(events: int, tx_size: int, workdir: str, progress: bool = False,
                    rate: float | None = None) -> dict[str, Any]:
    """Flood (``rate`` None: as fast as the producer can commit) or a steady ``rate`` of events/s."""
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    db_url = with_database(POSTGRES, f"rn_{prefix[:-1]}")
    ensure_database(db_url)
    db = Database(db_url)
    metadata.create_all(db.engine)
    topology = Topology(prefix)
    with Connection(AMQP) as conn:
        topology.declare(conn, consumer="none")
        topology.queue(SPEC)(conn.default_channel).declare()
        topology.dead_letter_queue(SPEC)(conn.default_channel).declare()
    memory_file = os.path.join(workdir, f"memory-{prefix}jsonl")
    os.environ["BENCH_MEMORY_FILE"] = memory_file
    procs = [mp.Process(target=relay_process, args=(db_url, prefix)),
             mp.Process(target=consumer_process, args=(db_url, prefix))]
    try:
        for p in procs:
            p.start()
        time.sleep(1.0)
        outbox = Outbox(outbox_t, "registry")
        committed: dict[str, float] = {}
        start = time.time()
        for first in range(0, events, tx_size):
            if rate:
                time.sleep(max(0.0, start + first / rate - time.time()))
            with db.transaction() as session:
                envs = outbox.record_many(session, EVENT, [{"n": i, "payload": "x" * 200}
                                                          for i in range(first, min(first + tx_size, events))])
            now = time.time()
            committed.update((e.id, now) for e in envs)
        produced = time.time()
        last = -1
        while (done := _count(db)) < events:
            if progress and int(time.time() - start) != last:
                last = int(time.time() - start)
                print(f"t={last}s handled={done}", file=sys.stderr, flush=True)
            time.sleep(0.05)
        with db.engine.connect() as conn:
            handled = dict(conn.execute(select(effects.c.event_id, effects.c.handled_at)).all())
        end = max(handled.values())
        with db.engine.connect() as conn:
            relayed = conn.execute(select(func.max(outbox_t.c.published_at))).scalar_one().timestamp()
        latencies = [(handled[i] - committed[i]) * 1000 for i in committed]
        duplicates = _inbox_count(db) - events
    finally:
        for p in procs:
            if p.pid:
                os.kill(p.pid, signal.SIGTERM)
        for p in procs:
            p.join(20)
        db.dispose()
        drop_database(db_url)
        with Connection(AMQP) as conn:
            topology.delete(conn)
            topology.queue(SPEC)(conn.default_channel).delete()
            topology.dead_letter_queue(SPEC)(conn.default_channel).delete()
    return {"events": events, "transaction_size": tx_size, "offered_rate": rate or "flood",
            "events_per_s": round(events / (end - start), 1),
            "producer_events_per_s": round(events / (produced - start), 1),
            "seconds": {"produced": round(produced - start, 2), "relayed": round(relayed - start, 2),
                        "handled": round(end - start, 2)},
            "latency_ms": _percentiles(latencies), "duplicate_effects": duplicates,
            "peak_rss_mb": _memory(memory_file)}


def _count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(effects)).scalar_one())


def _inbox_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(inbox_t)).scalar_one())


def _memory(memory_file: str) -> dict[str, int]:
    merged = {"bench_producer": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    with open(memory_file) as f:
        for line in f:
            merged.update(json.loads(line))
    return merged


def _percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100)
    return {"p50": round(q[49], 1), "p99": round(q[98], 1), "max": round(max(values), 1)}


def baseline_consumer(queue: str, events: int, out: Any) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = conn.channel()
    channel.basic_qos(prefetch_count=1000)
    latencies: list[float] = []

    def on_message(ch: Any, method: Any, props: Any, body: bytes) -> None:
        latencies.append((time.time() - props.timestamp / 1e6) * 1000)
        if len(latencies) % 500 == 0 or len(latencies) == events:
            ch.basic_ack(method.delivery_tag, multiple=True)
        if len(latencies) == events:
            ch.stop_consuming()
    channel.basic_consume(queue, on_message)
    channel.start_consuming()
    out.put((time.time(), latencies, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
    conn.close()


def run_baseline(events: int) -> dict[str, Any]:
    name = f"bench{uuid.uuid4().hex[:8]}.raw"
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = conn.channel()
    channel.exchange_declare(name, "topic", durable=True)
    channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(name, name, routing_key=EVENT)
    out: Any = mp.Queue()
    consumer = mp.Process(target=baseline_consumer, args=(name, events, out))
    consumer.start()
    time.sleep(0.5)
    start = time.time()
    # The timestamp property is seconds; carry microseconds so latency can be measured.
    with ConfirmingPublisher(AMQP, connection_name="bench-raw") as publisher:
        for first in range(0, events, 1000):
            publisher.publish([OutgoingMessage(name, EVENT, Envelope(EVENT, "bench", {"n": i, "payload": "x" * 200})
                                               .to_json(), str(i), EVENT, timestamp=int(time.time() * 1e6))
                               for i in range(first, min(first + 1000, events))])
    end, latencies, rss = out.get(timeout=600)
    consumer.join(10)
    channel.queue_delete(name)
    channel.exchange_delete(name)
    conn.close()
    return {"events": events, "events_per_s": round(events / (end - start), 1),
            "latency_ms": _percentiles(latencies), "peak_rss_mb": {"consumer": rss}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--transaction-size", type=int, default=100,
                        help="events the producer commits per transaction")
    parser.add_argument("--progress", action="store_true", help="print handled counts each second")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--paced-rate", type=float, default=2000,
                        help="events/s of the second, steady run that measures latency below saturation")
    parser.add_argument("--paced-events", type=int, default=30_000)
    args = parser.parse_args()
    configure_logging("WARNING")
    import tempfile
    with tempfile.TemporaryDirectory() as workdir:
        baseline = {"events_per_s": float("nan")} if args.skip_baseline else run_baseline(args.events)
        outbox = run_outbox_path(args.events, args.transaction_size, workdir, args.progress)
        paced = run_outbox_path(args.paced_events, 20, workdir, rate=args.paced_rate)
    print(json.dumps({
        "benchmark": "bus", "cores": os.cpu_count(),
        "outbox_relay_inbox": outbox, "outbox_relay_inbox_steady": paced, "raw_pika_baseline": baseline,
        "ratio_to_baseline": round(outbox["events_per_s"] / baseline["events_per_s"], 3),
        "targets": {"events_per_s": 3000, "ratio_to_baseline": 0.3},
        "met": outbox["events_per_s"] >= 3000 and outbox["events_per_s"] >= 0.3 * baseline["events_per_s"],
    }, indent=2))


if __name__ == "__main__":
    main()
