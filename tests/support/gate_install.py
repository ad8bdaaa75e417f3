"""The gates of a site installed: registered through the attendance API, their simulated terminals started, and
their bridges run as processes of their own (``tests/support/gate_devices.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from realname_codes.gate_protocol import HIKVISION_ISAPI, NATIVE, ZKTECO_PUSH
from realname_edge.gate_sims.isapi import IsapiTerminal
from realname_edge.gate_sims.native import NativeGate
from realname_edge.gate_sims.zkteco import ZkTerminal
from tests.support.gate_devices import SimGate, register_bridge, register_gate

if TYPE_CHECKING:
    from tests.support.site_with_gates import Site

ISAPI_PASSWORD = "Hik12345+"


@dataclass(frozen=True)
class Layout:
    """How many gates of each kind, behind how many bridges (vendor gates are dealt to the bridges in turn)."""

    native: int = 1
    isapi: int = 1
    zkteco: int = 1
    bridges: int = 1
    isapi_latency_s: float = 0.0
    zk_delay_s: float = 0.3  # a real terminal polls every 2-60 s; tests cap it
    report_every_s: float = 5.0
    capacity: int | None = None  # people and faces each terminal holds (None: the simulator's 3,000)


def install(site: Site, directory: Path, layout: Layout) -> list[SimGate]:
    """Register and start the gates of ``layout`` (and their bridges: last, once the gates behind them are in
    their files); the new gates."""
    prefix = site.stack.settings.bus_prefix
    bridges = [register_bridge(site.pm, site.project_id, directory / f"bridge{n}", prefix)
               for n in range(layout.bridges if layout.isapi + layout.zkteco else 0)]
    site.bridges += bridges
    before = len(site.gates)
    for _ in range(layout.native):
        made, device = register_gate(site.pm, site.project_id, NATIVE, capacity=layout.capacity)
        credentials = made["credentials"]
        terminal = NativeGate(device, credentials["amqp_url"], credentials["account"], prefix=prefix,
                              report_every_s=layout.report_every_s)
        terminal.start()
        site.gates.append(SimGate(str(made["id"]), NATIVE, device.serial, device, terminal))
    vendor = [HIKVISION_ISAPI] * layout.isapi + [ZKTECO_PUSH] * layout.zkteco
    for n, kind in enumerate(vendor):
        bridge = bridges[n % len(bridges)]
        made, device = register_gate(site.pm, site.project_id, kind, bridge, capacity=layout.capacity)
        gate = SimGate(str(made["id"]), kind, device.serial, device, bridge=bridge)
        entry: dict[str, Any] = {"serial": device.serial, "kind": kind, "direction": "both"}
        if kind == HIKVISION_ISAPI:
            gate.terminal = IsapiTerminal(device, password=ISAPI_PASSWORD, latency_s=layout.isapi_latency_s)
            gate.terminal.start()
            entry.update(address=gate.terminal.url, username="admin", password=ISAPI_PASSWORD)
        bridge.gates.append(entry)
        site.gates.append(gate)
    for bridge in bridges:
        bridge.start()
    new = site.gates[before:]
    for gate in new:
        if gate.kind == ZKTECO_PUSH and gate.bridge is not None:
            gate.terminal = ZkTerminal(gate.device, f"{gate.bridge.public_url}/iclock", delay_s=layout.zk_delay_s)
            gate.terminal.start()
    return new


def stop_devices(site: Site) -> None:
    for gate in site.gates:
        gate.stop()
    for bridge in site.bridges:
        bridge.stop()
