"""Builds each gate's driver by its kind. The drivers of a kind share one web app that the devices call, mounted
by the bridge's HTTP server (``Site.mounts``): ZKTeco terminals poll ``/iclock``, ISAPI devices post their events to
``/isapi/events/<serial>``. The vendor modules are imported only when a gate of their kind is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from realname_codes.gate_protocol import HIKVISION_ISAPI, ZKTECO_PUSH
from realname_edge.gates.driver import GateConfig, GateDriver, GateSink, WsgiApp

ISAPI_PATH, ZKTECO_PATH = "/isapi/events", "/iclock"


@dataclass
class Site:
    """What the drivers of one bridge share: its public URL and the apps mounted on its HTTP server."""

    public_url: str
    mounts: dict[str, WsgiApp] = field(default_factory=dict)
    _apps: dict[str, Any] = field(default_factory=dict)

    def app(self, path: str, make: Callable[[], Any]) -> Any:
        """The one app at ``path`` (a WSGI app with the kind's own methods), made and mounted the first time a
        driver asks for it."""
        if path not in self._apps:
            self._apps[path] = self.mounts[path] = make()
        return self._apps[path]

    def report_unknown_devices(self, sink: GateSink) -> None:
        """Apps that devices call in to (ZKTeco) report a device not configured here through ``sink``."""
        for app in self._apps.values():
            if hasattr(app, "on_unknown"):
                app.on_unknown(sink)

    def close(self) -> None:
        for app in self._apps.values():
            if hasattr(app, "close"):
                app.close()


Builder = Callable[[GateConfig, Site], GateDriver]


def isapi_driver(config: GateConfig, site: Site) -> GateDriver:
    from realname_edge.gates.isapi import IsapiDriver, IsapiListener

    listener = site.app(ISAPI_PATH, IsapiListener)
    options = {**config.options, "listen_url": f"{site.public_url}{ISAPI_PATH}/{config.serial}"}
    driver: GateDriver = IsapiDriver(replace(config, options=options), listener)
    return driver


def zkteco_driver(config: GateConfig, site: Site) -> GateDriver:
    from realname_edge.gates.zkteco import ZkPushServer

    driver: GateDriver = site.app(ZKTECO_PATH, ZkPushServer).driver_for(config)
    return driver


BUILDERS: dict[str, Builder] = {HIKVISION_ISAPI: isapi_driver, ZKTECO_PUSH: zkteco_driver}


def build_drivers(gates: tuple[GateConfig, ...], site: Site,
                  builders: dict[str, Builder] | None = None) -> dict[str, GateDriver]:
    """Every configured gate's driver, by serial."""
    chosen = BUILDERS if builders is None else builders
    return {gate.serial: chosen[gate.kind](gate, site) for gate in gates}
