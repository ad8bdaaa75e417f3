"""The gates' side of bench/attendance.py: a fleet of gates behind site bridges, registered through the API, and the
processes that publish their punches over AMQP with the bridges' own accounts, as bridges do (``user_id`` = the
account, persistent). The raw baseline publishes and consumes messages of the same size with pika alone."""

from __future__ import annotations

import multiprocessing
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pika

from realname_codes.gate_protocol import HIKVISION_ISAPI, PUNCHED, Punch, encode, exchange_in
from tests.support.gate_devices import register_bridge, register_gate
from tests.support.site_with_gates import Site

CHINA = timezone(timedelta(hours=8))  # the gates' clocks: local time with its offset, as terminals send it
UNKNOWN_SHARE = 0.05  # punches of people the platform does not know: kept, rejected `unknown_worker` (R27)


@dataclass(frozen=True)
class Fleet:
    """Gate serials, each behind bridge ``n % len(bridges)`` (its AMQP URL and account), and the admitted keys."""

    bridges: tuple[tuple[str, str], ...]
    serials: tuple[str, ...]
    keys: tuple[str, ...]
    prefix: str

    @property
    def accounts(self) -> list[str]:
        return [account for _, account in self.bridges]


def register_fleet(site: Site, directory: Path, gates: int, bridges: int, keys: list[str]) -> Fleet:
    """``bridges`` site bridges and ``gates`` ISAPI gates behind them, registered by the project's gate manager."""
    prefix = site.stack.settings.bus_prefix
    made = [register_bridge(site.pm, site.project_id, directory / f"bridge{n}", prefix) for n in range(bridges)]
    with ThreadPoolExecutor(4) as pool:  # the attendance web's workers, a few registrations at a time
        serials = list(pool.map(lambda n: register_gate(site.pm, site.project_id, HIKVISION_ISAPI,
                                                        made[n % bridges])[1].serial, range(gates)))
    return Fleet(tuple((b.credentials["amqp_url"], b.credentials["account"]) for b in made), tuple(serials),
                 tuple(keys), prefix)


def punch_body(fleet: Fleet, n: int, tag: str, rng: random.Random) -> tuple[int, bytes]:
    """Punch ``n`` of a run: its gate's bridge index, and the message as the bridge would send it."""
    gate = n % len(fleet.serials)
    serial = fleet.serials[gate]
    key = f"9{rng.randrange(10**9):09d}" if rng.random() < UNKNOWN_SHARE else rng.choice(fleet.keys)
    punch = Punch(device=serial, worker_key=key, at=datetime.now(CHINA).isoformat(timespec="seconds"),
                  event_key=f"{tag}:{serial}:{n}", direction=None)
    return gate % len(fleet.bridges), encode(punch, source="bench")


def publish(fleet: Fleet, first: int, count: int, tag: str, rate: float, sent: Any) -> None:
    """One publishing process: punches ``first``..``first + count`` through their bridges' connections, paced to
    ``rate`` per second (0: as fast as pika goes); ``sent`` gets ``(event key, epoch)`` of each when paced."""
    channels = [_channel(url) for url, _ in fleet.bridges]
    rng = random.Random(first)
    started = time.monotonic()
    stamps = []
    for i, n in enumerate(range(first, first + count)):
        bridge, body = punch_body(fleet, n, tag, rng)
        channels[bridge].basic_publish(exchange_in(fleet.prefix), PUNCHED, body, pika.BasicProperties(
            delivery_mode=2, user_id=fleet.bridges[bridge][1], type=PUNCHED, content_type="application/json",
            message_id=str(uuid.uuid4())))
        if rate:
            stamps.append((f"{tag}:{fleet.serials[n % len(fleet.serials)]}:{n}", time.time()))
            time.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
    for channel in channels:
        channel.connection.close()
    if sent is not None:
        sent.put(stamps)


def publish_all(fleet: Fleet, count: int, tag: str, processes: int, rate: float = 0.0
                ) -> tuple[float, list[tuple[str, float]]]:
    """``count`` punches from ``processes`` publishers at once; (epoch when publishing began, paced stamps)."""
    share = -(-count // processes)
    sent: Any = multiprocessing.Queue() if rate else None
    began = time.time()
    workers = [multiprocessing.Process(target=publish, args=(fleet, p * share, min(share, count - p * share), tag,
                                                             rate / processes, sent)) for p in range(processes)]
    for worker in workers:
        worker.start()
    stamps = [stamp for _ in workers for stamp in sent.get()] if sent is not None else []
    for worker in workers:
        worker.join()
    return began, stamps


def raw_baseline(amqp_url: str, fleet: Fleet, count: int, processes: int) -> dict[str, float]:
    """The same number of messages of the same size, published by pika to one durable queue and consumed by pika
    (prefetch 500, one multiple-ack per 250): what the broker and the client library give with nothing else."""
    queue = f"bench.raw.{uuid.uuid4().hex[:8]}"
    channel = _channel(amqp_url)
    channel.queue_declare(queue, durable=True)
    body = punch_body(fleet, 0, "raw", random.Random(0))[1]
    consumed: Any = multiprocessing.Queue()
    consumer = multiprocessing.Process(target=_consume, args=(amqp_url, queue, count, consumed))
    consumer.start()
    share = -(-count // processes)
    began = time.time()
    publishers = [multiprocessing.Process(target=_publish_raw,
                                          args=(amqp_url, queue, body, min(share, count - p * share)))
                  for p in range(processes)]
    for publisher in publishers:
        publisher.start()
    for publisher in publishers:
        publisher.join()
    finished = consumed.get(timeout=600)
    consumer.join()
    channel.queue_delete(queue)
    channel.connection.close()
    return {"messages": count, "seconds": round(finished - began, 2), "per_s": round(count / (finished - began))}


def _publish_raw(amqp_url: str, queue: str, body: bytes, count: int) -> None:
    channel = _channel(amqp_url)
    properties = pika.BasicProperties(delivery_mode=2, type=PUNCHED, content_type="application/json")
    for _ in range(count):
        channel.basic_publish("", queue, body, properties)
    channel.connection.close()


def _consume(amqp_url: str, queue: str, count: int, done: Any) -> None:
    channel = _channel(amqp_url)
    channel.basic_qos(prefetch_count=500)
    for received, (method, _properties, _body) in enumerate(channel.consume(queue, inactivity_timeout=120), 1):
        if method is None:
            break
        if received % 250 == 0 or received == count:
            channel.basic_ack(method.delivery_tag, multiple=True)
        if received == count:
            break
    done.put(time.time())
    channel.connection.close()


def _channel(url: str) -> Any:
    return pika.BlockingConnection(pika.URLParameters(url)).channel()
