"""Gauges read at scrape time: a service's outbox lag, its dead letters, and the gauges its spec declares."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from realname_kit.db import Database
from realname_kit.logs import get_logger
from realname_kit.timeutil import utcnow

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Gauge:
    """A figure of a service's own data, read from its database at each scrape (``ServiceSpec.gauges``)."""

    name: str   # realname_<service>_<what>
    help: str
    read: Callable[[Session], float]


def outbox_lag_seconds(session: Session, outbox: Table, now: datetime | None = None) -> float:
    """Age of the oldest unpublished outbox row; 0 when every row is published."""
    t = outbox
    oldest = session.execute(select(t.c.created_at).where(t.c.published_at.is_(None))
                             .order_by(t.c.seq).limit(1)).scalar()
    return 0.0 if oldest is None else max(0.0, ((now or utcnow()) - oldest).total_seconds())


@dataclass(frozen=True, slots=True)
class GaugedService:
    name: str
    db: Database
    outbox: Table
    extra: Sequence[Gauge] = ()


class ServiceGauges(Collector):
    """The gauges of one service (a web process), or of all of them (the all-in-one process)."""

    def __init__(self, services: Sequence[GaugedService], dead_letters: Callable[[], Mapping[str, int]]) -> None:
        """``dead_letters``: the messages in each of the services' dead-letter queues, by queue name."""
        self.services, self.dead_letters = services, dead_letters

    def collect(self) -> Iterable[Metric]:
        lag = GaugeMetricFamily("realname_outbox_lag_seconds",
                                "Age of the oldest outbox event not yet published", labels=["service"])
        for service in self.services:
            value = self._read(service, "outbox_lag", partial(outbox_lag_seconds, outbox=service.outbox))
            if value is not None:
                lag.add_metric([service.name], value)
        yield lag
        dead = GaugeMetricFamily("realname_dead_letters", "Messages waiting in a dead-letter queue",
                                 labels=["queue"])
        try:
            for queue, depth in sorted(self.dead_letters().items()):
                dead.add_metric([queue], depth)
        except Exception as exc:  # the broker is away: the gauge is left out, the scrape still answers
            log.warning("gauge_unreadable", gauge="dead_letters", error=repr(exc)[:300])
        yield dead
        for service in self.services:
            for gauge in service.extra:
                family = GaugeMetricFamily(gauge.name, gauge.help)
                value = self._read(service, gauge.name, gauge.read)
                if value is not None:
                    family.add_metric([], value)
                yield family

    def describe(self) -> Iterable[Metric]:
        return []  # read at scrape time only

    @staticmethod
    def _read(service: GaugedService, name: str, read: Callable[[Session], float]) -> float | None:
        try:
            with service.db.sessions() as session:
                return float(read(session))
        except Exception as exc:  # the database is away: the gauge is left out, the scrape still answers
            log.warning("gauge_unreadable", gauge=name, service=service.name, error=repr(exc)[:300])
            return None
