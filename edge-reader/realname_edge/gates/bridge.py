"""``realname-edge gates run``: the site bridge put together and run until stopped.

Start: the spool (with the command journal) → the HTTP server for the devices → each gate's driver → the
commands the journal holds unfinished handed to their drivers again (a crash lost none) → the publisher thread
(spool → ``<prefix>gates.events``, confirms) and the consumer thread (its command queue → journal → drivers).
Stop (SIGTERM/SIGINT): consuming stops first, the drivers stop (and spool what they still learn), the HTTP server
stops, and the publisher makes one last attempt to send what is spooled; what it cannot send stays for next time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from realname_codes.gate_protocol import command_queue
from realname_edge.confirming import ConfirmingPublisher
from realname_edge.gates.commands import PREFETCH, CommandConsumer
from realname_edge.gates.config import BridgeConfig
from realname_edge.gates.dispatch import Dispatcher
from realname_edge.gates.driver import GateDriver
from realname_edge.gates.http import SiteServer
from realname_edge.gates.journal import SCHEMA, CommandJournal
from realname_edge.gates.kinds import Builder, Site, build_drivers
from realname_edge.gates.sink import SpoolSink
from realname_edge.spooling import Spool

SOURCE = "site-bridge"
_JOIN = 30.0  # seconds a thread has to end after stop: the broker timeouts bound every wait

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Parts:
    journal: CommandJournal
    wake: threading.Event  # set by the sink: there is something to send
    sink: SpoolSink
    drivers: dict[str, GateDriver]
    site: Site
    dispatcher: Dispatcher
    server: SiteServer
    publisher: ConfirmingPublisher
    consumer: CommandConsumer


class Bridge:
    def __init__(self, config: BridgeConfig, *, builders: dict[str, Builder] | None = None,
                 prefetch: int = PREFETCH, confirm_timeout: float = 10) -> None:
        self.config = config
        self._builders = builders
        self._prefetch = prefetch
        self._timeout = confirm_timeout

    def run(self, stop: threading.Event) -> None:
        with Spool(self.config.spool_path, schema=[SCHEMA]) as spool:
            parts = self._assemble(spool)
            log.info("site bridge starting: %r", self.config)
            parts.server.start()
            _start(parts.drivers, parts.sink)
            parts.site.report_unknown_devices(parts.sink)
            self._resubmit(parts.journal, parts.dispatcher)
            sending, consuming = threading.Event(), threading.Event()
            publishing = threading.Thread(target=parts.publisher.run, args=(sending, parts.wake),
                                          name="bridge-publisher")
            commands = threading.Thread(target=parts.consumer.run, args=(consuming,), name="bridge-commands")
            publishing.start()
            commands.start()
            try:
                stop.wait()
            finally:
                consuming.set()  # no new command is taken while the drivers stop
                commands.join(_JOIN)
                _stop(parts.drivers)
                parts.server.stop()
                parts.site.close()
                sending.set()
                parts.wake.set()
                publishing.join(_JOIN)
                parts.publisher.publish_pending()  # one last try for what the drivers said while stopping
                parts.publisher.close()
                log.info("site bridge stopped; %d messages stay spooled for the next start", spool.count())

    def _assemble(self, spool: Spool) -> _Parts:
        config = self.config
        journal, wake = CommandJournal(spool), threading.Event()
        sink = SpoolSink(spool, prefix=config.prefix, source=f"{SOURCE} {config.account}", wake=wake)
        site = Site(config.public_url)
        drivers = build_drivers(config.gates, site, self._builders)
        dispatcher = Dispatcher(drivers, sink)
        return _Parts(
            journal=journal, wake=wake, sink=sink, drivers=drivers, site=site, dispatcher=dispatcher,
            server=SiteServer(config.listen_host, config.listen_port, site.mounts),
            publisher=ConfirmingPublisher(config.amqp_url, spool, source=SOURCE, confirm_timeout=self._timeout,
                                          connection_name=f"site bridge {config.account}"),
            consumer=CommandConsumer(config.amqp_url, command_queue(config.account, config.prefix), journal,
                                     dispatcher, prefetch=self._prefetch, timeout=self._timeout))

    @staticmethod
    def _resubmit(journal: CommandJournal, dispatcher: Dispatcher) -> None:
        unfinished = journal.unfinished()
        if unfinished:
            log.info("%d commands taken before the last stop were not answered: handed to their drivers again",
                     len(unfinished))
        for command in unfinished:
            dispatcher.submit(command)


def _start(drivers: dict[str, GateDriver], sink: SpoolSink) -> None:
    for serial, driver in drivers.items():
        try:
            driver.start(sink)
        except Exception:  # one gate's driver failing must not keep the others from working
            log.exception("the driver of gate %r did not start", serial)


def _stop(drivers: dict[str, GateDriver]) -> None:
    for serial, driver in drivers.items():
        try:
            driver.stop()
        except Exception:
            log.exception("the driver of gate %r did not stop cleanly", serial)
