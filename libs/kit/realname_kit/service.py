"""What a service is made of, declared once in its package (``realname_<name>.service.SPEC``)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from flask_smorest import Blueprint
from sqlalchemy import MetaData, Table

from realname_kit.bus.outbox import Outbox
from realname_kit.bus.processing import Handler
from realname_kit.bus.topology import QueueSpec
from realname_kit.db import Database
from realname_kit.gauges import Gauge
from realname_kit.pruning import Retention
from realname_kit.settings import SERVICES, Setting, Settings

Chore = Callable[[Settings, Database, threading.Event], None]

# Every spec of the platform: the services', and the gateway's (its own database, relayed like a service's).
PLATFORM = (*SERVICES, "gateway")


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    """A table whose personal-data fields are stored encrypted (``<field>_enc``, ``<field>_bidx``)."""

    table: str
    fields: tuple[str, ...]
    context_prefix: str  # a field's encryption context is ``<context_prefix>.<field>``


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    metadata: MetaData
    blueprints: Sequence[Blueprint]
    migrations: Path
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    # Handlers that need the settings (a keyring, a URL), made once per consumer process.
    configured_handlers: Callable[[Settings], Mapping[str, Handler]] | None = None
    description: str = ""
    protected: Sequence[ProtectedTable] = ()
    # The bus (realname_kit.bus.topology assembles every spec's): the queues this service consumes, and the
    # publishers whose exchanges it declares. None: its own events only; () for a service that records none.
    queues: Sequence[QueueSpec] = ()
    publishers: Sequence[str] | None = None
    # Its own settings (REALNAME_<SERVICE>_*), documented: realname_kit.settings.documented() lists every spec's.
    settings: Sequence[Setting] = ()
    # Refuses (raises ValueError, saying why) settings the service must not run with; every process runs it at start.
    check_settings: Callable[[Settings], object] | None = None
    # Its own tables that would grow for ever, pruned past their retention (the kit's own are pruned anyway).
    retentions: Sequence[Retention] = ()
    # Figures of the service's own data on its /metrics, read at each scrape (e.g. reads waiting).
    gauges: Sequence[Gauge] = ()
    # Work of its own that runs beside its relay (in the relay process; all-in-one: a thread each) until stop,
    # such as watching a file that changes outside the platform.
    chores: Sequence[Chore] = ()

    @property
    def declared_publishers(self) -> tuple[str, ...]:
        return (self.name,) if self.publishers is None else tuple(self.publishers)

    def handlers_for(self, settings: Settings) -> dict[str, Handler]:
        built = self.configured_handlers(settings) if self.configured_handlers else {}
        return {**self.handlers, **built}

    @cached_property
    def outbox_table(self) -> Table:
        return self.metadata.tables["outbox"]

    @cached_property
    def inbox_table(self) -> Table:
        return self.metadata.tables["inbox"]

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.outbox_table, self.name)


def load_spec(service: str) -> ServiceSpec:
    module = importlib.import_module(f"realname_{service}.service")
    spec: ServiceSpec = module.SPEC
    return spec


@cache
def platform_specs() -> tuple[ServiceSpec, ...]:
    return tuple(load_spec(name) for name in PLATFORM)
