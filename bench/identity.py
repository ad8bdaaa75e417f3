"""Identity benchmark: a card read published by an edge-reader until the registry has handled its verification.

    .venv/bin/python bench/identity.py                        (5,000 reads at 50 a second)
    .venv/bin/python bench/identity.py --reads 500 --rate 50 --publishers 4

Runs against the platform started as ops start it (``./realname up --distributed`` on the local PostgreSQL
and RabbitMQ, under a prefix of the benchmark's own, removed afterwards; the relays poll as shipped, every
``REALNAME_RELAY_IDLE_SECONDS`` by default), with the authority's simulator answering every question after
50 ms. A labour company opens reader accounts through the gateway; reader threads (each a
``CardReadPublisher`` with a spool of its own, as on a reader PC) publish ``card.read`` at a steady total
rate. A read's latency runs from ``record_read`` returning (the broker confirmed it) to the
registry's inbox row of its ``identity.verified`` (``handled_at``); both clocks are this machine's. A queue
of the benchmark's own, bound to the identity exchange, maps each ``identity.verified`` envelope to its read.

Prints one JSON object: rate asked and achieved, latency percentiles (target p95 < 500 ms), reads verified,
missing and duplicated, the latency split into stages (identity consumer, authority, relay, registry
consumer), the peak memory (VmHWM) of both consumers, and the raw baseline: the same number of messages of
the same size published with pika confirms at the same rate to a throwaway quorum queue and consumed back
(publish call to receipt).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pika
from kombu import Connection, Queue, binding
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.identity_people import card_record, people, write_register
from bench.registry_platform import BenchPlatform, percentile, process_memory
from realname_edge.card import CardRecord
from realname_edge.publisher import CardReadPublisher
from realname_edge.spool import CardSpool
from realname_kit.bus.envelope import Envelope
from realname_kit.settings import SETTINGS, Settings
from tests.support.infra import amqp_url, free_port
from tests.support.launched import ApiClient
from tests.support.stack import eventually

ACCOUNTS = "/api/v1/identity/reader-accounts"
TARGET_P95_MS = 500
AUTHORITY_LATENCY_MS = 50


@dataclass
class Schedule:
    """The reads to publish and when: read ``i`` is due ``i / rate`` seconds after the start, whoever takes it."""

    records: list[CardRecord]
    rate: float
    started: float = field(default_factory=time.time)
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[CardRecord, float] | None:
        with self._lock:
            index, self._next = self._next, self._next + 1
        if index >= len(self.records):
            return None
        return self.records[index], self.started + index / self.rate


@dataclass
class Published:
    read_ids: list[str] = field(default_factory=list)
    confirmed: dict[str, float] = field(default_factory=dict)  # read id -> when record_read returned
    late_ms: list[float] = field(default_factory=list)  # how long after its due moment each read was started
    unconfirmed: int = 0  # reads left in a spool by record_read (published again at the end, not timed)
    lock: threading.Lock = field(default_factory=threading.Lock)


def read_cards(account: dict[str, Any], spool_path: Path, schedule: Schedule, published: Published) -> None:
    """One reader PC: publishes the reads it takes from the schedule, each at its due moment."""
    with CardSpool(spool_path) as spool, CardReadPublisher(account["amqp_url"], account["exchange"],
                                                           account["employer_id"], spool,
                                                           seal_key=account["seal_key"]) as publisher:
        while (slot := schedule.take()) is not None:
            record, due = slot
            time.sleep(max(0.0, due - time.time()))
            started = time.time()
            read_id = publisher.record_read(record)
            done = time.time()
            with published.lock:
                published.read_ids.append(read_id)
                published.late_ms.append((started - due) * 1000)
                if spool.count():
                    published.unconfirmed += 1
                else:
                    published.confirmed[read_id] = done
        eventually(lambda: publisher.publish_pending() >= 0 and spool.count() == 0, timeout=60, interval=0.5)


def publish_paced(accounts: list[dict[str, Any]], records: list[CardRecord], rate: float,
                  folder: Path) -> tuple[Published, float]:
    published, schedule = Published(), Schedule(records, rate)
    threads = [threading.Thread(target=read_cards, args=(a, folder / f"spool-{n}.sqlite", schedule, published))
               for n, a in enumerate(accounts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return published, max(published.confirmed.values(), default=schedule.started) - schedule.started


@contextmanager
def announcements(platform: BenchPlatform) -> Iterator[Queue]:
    """A queue of the benchmark's own that sees every ``identity.verified`` the identity relay publishes."""
    queue = Queue(f"{platform.stack.prefix}.bench.identity-verified", durable=False,
                  bindings=[binding(platform.stack.topology.exchange("identity"), routing_key="identity.verified")])
    with Connection(platform.stack.amqp) as conn:
        queue(conn.default_channel).declare()
    try:
        yield queue
    finally:
        with Connection(platform.stack.amqp) as conn:
            queue(conn.default_channel).delete()


def drain(platform: BenchPlatform, queue: Queue) -> list[Envelope]:
    found = []
    with Connection(platform.stack.amqp) as conn:
        bound = queue(conn.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            found.append(Envelope.from_json(message.body))
    return found


@contextmanager
def reader_accounts(labour: ApiClient, count: int) -> Iterator[list[dict[str, Any]]]:
    """Broker accounts for ``count`` reader PCs, revoked afterwards (which removes their RabbitMQ users)."""
    accounts: list[dict[str, Any]] = []
    try:
        for _ in range(count):
            answer = labour.call("POST", ACCOUNTS)
            answer.raise_for_status()
            accounts.append(answer.json())
        yield accounts
    finally:
        for account in accounts:
            labour.call("DELETE", f"{ACCOUNTS}/{account['username']}")


def wait_handled(platform: BenchPlatform, expected: int, timeout: float) -> int:
    """Registry inbox rows of ``identity.verified``, once all are there or nothing came for ``timeout`` s."""
    last, since = -1, time.monotonic()
    while True:
        count = rows(platform, "registry", "SELECT count(*) FROM inbox WHERE type = 'identity.verified'")[0][0]
        if count >= expected or time.monotonic() - since > timeout:
            return int(count)
        if count != last:
            last, since = count, time.monotonic()
        time.sleep(0.5)


def rows(platform: BenchPlatform, service: str, sql: str) -> list[Any]:
    with platform.stack.db(service).engine.connect() as conn:
        return list(conn.execute(text(sql)).all())


def moments(platform: BenchPlatform, service: str, sql: str) -> dict[str, list[float]]:
    """``key -> [timestamps]`` from a query of ``key, moment...`` rows (datetimes as Unix seconds)."""
    return {str(r[0]): [m.timestamp() for m in r[1:]] for r in rows(platform, service, sql)}


def stage_split(platform: BenchPlatform, published: Published, read_of: dict[str, str],
                handled: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Where a read's time goes: each stage's percentiles, from the moments the databases recorded."""
    received = moments(platform, "identity", "SELECT message_id, handled_at FROM inbox WHERE type = 'card.read'")
    outbox = moments(platform, "identity", "SELECT id, created_at, published_at FROM outbox "
                                           "WHERE type = 'identity.verified' AND published_at IS NOT NULL")
    stages: dict[str, list[float]] = {"broker_to_identity_consumer": [], "identity_batch_and_authority": [],
                                      "commit_and_relay": [], "broker_to_registry_handled": []}
    for envelope_id, (done,) in handled.items():
        read_id = read_of.get(envelope_id)
        if read_id not in published.confirmed or read_id not in received or envelope_id not in outbox:
            continue
        recorded, relayed = outbox[envelope_id]
        steps = (published.confirmed[read_id], received[read_id][0], recorded, relayed, done)
        for name, start, end in zip(stages, steps, steps[1:], strict=False):
            stages[name].append((end - start) * 1000)
    return {name: {"p50": percentile(v, 0.50), "p95": percentile(v, 0.95)} for name, v in stages.items()}


def run_flow(platform: BenchPlatform, records: list[CardRecord], rate: float, publishers: int,
             folder: Path) -> dict[str, Any]:
    labour = platform.enterprise("labour", 1)
    # The consumers declare their queues as they start; a read published before would be unroutable.
    eventually(lambda: all(_queue_exists(platform, q) for q in ("identity.card-reads", "registry.identity")),
               timeout=60, interval=0.5)
    with reader_accounts(labour, publishers) as accounts, announcements(platform) as queue:
        published, seconds = publish_paced(accounts, records, rate, folder)
        wait_handled(platform, len(records), timeout=60)
        envelopes = drain(platform, queue)
    handled = moments(platform, "registry", "SELECT message_id, handled_at FROM inbox "
                                            "WHERE type = 'identity.verified'")
    read_of = {e.id: str(e.data["read_id"]) for e in envelopes}
    per_read = Counter(read_of[envelope_id] for envelope_id in handled if envelope_id in read_of)
    latencies = [(handled[e][0] - published.confirmed[r]) * 1000
                 for e, r in read_of.items() if e in handled and r in published.confirmed]
    kept = rows(platform, "registry", "SELECT count(*) FROM card_reads")[0][0]
    verified = len(per_read.keys() & set(published.read_ids))
    return {"reads": len(records), "reader_accounts": publishers, "rate_asked": rate,
            "rate_achieved": round(len(published.confirmed) / seconds, 1) if seconds else 0.0,
            "publish_late_ms": {"p95": percentile(published.late_ms, 0.95),
                                "max": percentile(published.late_ms, 1.0)},
            "latency_ms": _spread(latencies), "timed": len(latencies),
            "verified": verified, "missing": len(records) - verified,
            "duplicates_in_registry_inbox": sum(n - 1 for n in per_read.values()),
            "registry_inbox_rows_not_announced": len(handled.keys() - read_of.keys()),
            "unconfirmed_at_once": published.unconfirmed, "kept_in_registry_card_reads": int(kept),
            "stages_ms": stage_split(platform, published, read_of, handled),
            "peak_rss_mb": {name: process_memory(platform.pids[name])
                            for name in ("identity-consumer", "registry-consumer")}}


def _queue_exists(platform: BenchPlatform, queue: str) -> bool:
    try:
        platform.stack.queue_depth(f"{platform.stack.prefix}.{queue}")
    except Exception:  # the broker closes the channel of a passive declare of a missing queue
        return False
    return True


def _spread(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.50), "p95": percentile(values, 0.95), "p99": percentile(values, 0.99),
            "max": percentile(values, 1.0)}


def _raw_body(record: CardRecord) -> bytes:
    """As large as a ``card.read`` envelope of the flow: the same card, photo included."""
    event = {"id": str(uuid.uuid4()), "type": "card.read", "version": 1, "occurred_at": "", "source": "bench",
             "correlation_id": None, "data": record.to_event()}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def _consume_raw(queue: str, expected: int, received: dict[str, float], stop: threading.Event) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url()))
    channel = connection.channel()
    channel.basic_consume(queue, lambda _ch, _m, props, _body: received.__setitem__(props.message_id, time.time()),
                          auto_ack=True)
    while len(received) < expected and not stop.is_set():
        connection.process_data_events(time_limit=0.1)
    connection.close()


def run_baseline(records: list[CardRecord], rate: float) -> dict[str, Any]:
    """The broker alone: the same messages, confirmed one by one at the same rate, consumed from a quorum queue."""
    name = f"bench-identity-raw-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url()))
    channel = connection.channel()
    channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
    channel.confirm_delivery()
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    stop = threading.Event()
    consumer = threading.Thread(target=_consume_raw, args=(name, len(records), received, stop))
    consumer.start()
    bodies = [_raw_body(r) for r in records]
    try:
        started = time.time()
        for index, body in enumerate(bodies):
            time.sleep(max(0.0, started + index / rate - time.time()))
            sent[str(index)] = time.time()
            channel.basic_publish("", name, body, pika.BasicProperties(delivery_mode=2, message_id=str(index)))
        eventually(lambda: len(received) >= len(records), timeout=60, interval=0.1)
    finally:
        stop.set()
        consumer.join(30)
        channel.queue_delete(name)
        connection.close()
    latencies = [(received[k] - sent[k]) * 1000 for k in sent if k in received]
    return {"name": "pika publish with confirm, one at a time at the same rate, to a quorum queue, consumed "
                    "back (publish call to receipt)", "messages": len(latencies),
            "message_bytes": len(bodies[0]) if bodies else 0, "latency_ms": _spread(latencies)}


def platform_settings(register: Path) -> dict[str, str]:
    """The simulator as the target describes it; the relay as shipped (the test stack's own polls faster)."""
    port = free_port()
    relay_idle = next(s.default for s in SETTINGS if s.env == "REALNAME_RELAY_IDLE_SECONDS")
    return {"REALNAME_RELAY_IDLE_SECONDS": relay_idle, "REALNAME_AUTHORITY_SIM": "on",
            "REALNAME_AUTHORITY_SIM_DATA_FILE": str(register), "REALNAME_AUTHORITY_SIM_MODE": "always_open",
            "REALNAME_AUTHORITY_SIM_LATENCY_MS": str(AUTHORITY_LATENCY_MS), "REALNAME_AUTHORITY_SIM_PORT": str(port),
            "REALNAME_IDENTITY_AUTHORITY_URL": f"http://127.0.0.1:{port}",
            "REALNAME_ACCESS_TOKEN_SECONDS": "3600"}  # the labour company's token outlives the longest run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reads", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=50.0, help="card reads per second, all readers together")
    parser.add_argument("--publishers", type=int, default=4, help="reader PCs (accounts, spools) publishing")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    everyone = people(args.reads)
    records = [card_record(someone) for someone in everyone]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = platform_settings(write_register(everyone, folder / "authority-people.json"))
        with BenchPlatform(folder, **settings) as platform:
            flow = run_flow(platform, records, args.rate, args.publishers, folder)
            launched = Settings.from_env(platform.launched.env)
            flow["settings"] = {k: launched.value(k) for k in (
                "REALNAME_CONSUMER_PREFETCH", "REALNAME_RELAY_IDLE_SECONDS", "REALNAME_AUTHORITY_SIM_LATENCY_MS",
                "REALNAME_IDENTITY_AUTHORITY_CONCURRENCY")}
    flow["load_average_after"] = [round(n, 2) for n in os.getloadavg()]  # others' work on the machine skews both
    baseline = None if args.skip_baseline else run_baseline(records, args.rate)
    p95 = flow["latency_ms"]["p95"]
    print(json.dumps({
        "benchmark": "identity", "cores": os.cpu_count(), **flow, "raw_baseline": baseline,
        "ratio_p95_to_baseline": round(p95 / baseline["latency_ms"]["p95"], 1) if baseline else None,
        "target_p95_ms": TARGET_P95_MS,
        "met": p95 < TARGET_P95_MS and flow["missing"] == 0 and flow["duplicates_in_registry_inbox"] == 0,
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
