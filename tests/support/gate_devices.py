"""A site's gates as they are installed: registered through the attendance API, then running as simulators.

A native gate runs ``NativeGate`` with the credentials its registration showed once. Vendor gates sit behind a site
bridge: the bridge's registration gives its credentials, which go into its TOML file with each gate's address; the
bridge runs as its own process (``realname-edge gates run --config FILE``, ``realname_launcher.demo_site.bridge``: the
demo site's too), exactly as on a site PC; an ISAPI gate is
an ``IsapiTerminal`` the bridge calls, a ZKTeco gate a ``ZkTerminal`` that polls the bridge.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from realname_codes.gate_protocol import HIKVISION_ISAPI, NATIVE, ZKTECO_PUSH
from realname_edge.gate_sims.device import SimulatedDevice
from realname_launcher.demo_site.bridge import BridgeProcess
from tests.support.launched import ApiClient
from tests.support.stack import eventually

ATTENDANCE = "/api/v1/attendance"
MODELS = {NATIVE: "RN-ANDROID-FACE", HIKVISION_ISAPI: "DS-K1T671MF", ZKTECO_PUSH: "SpeedFace-V5L"}


@dataclass
class SimGate:
    """One gate of the site: its row on the platform, and the simulated terminal standing for it."""

    id: str
    kind: str
    serial: str
    device: SimulatedDevice
    terminal: Any = None  # NativeGate | IsapiTerminal | ZkTerminal
    bridge: BridgeProcess | None = None

    def listing(self) -> dict[str, str]:
        """What the terminal itself holds: worker key -> face sha256 ("" without a face)."""
        return self.device.listing()

    def stop(self) -> None:
        if self.terminal is not None:
            self.terminal.stop()


def register_bridge(pm: ApiClient, project_id: str, directory: Path, prefix: str) -> BridgeProcess:
    """``POST bridges`` (once the attendance service knows the project): the bridge with its credentials."""
    made = eventually(lambda: _created(pm.call("POST", f"{ATTENDANCE}/projects/{project_id}/bridges", json={
        "name": f"工地网关{uuid.uuid4().hex[:4]}", "place": "门卫室"})), timeout=60, interval=0.2)
    directory.mkdir(parents=True, exist_ok=True)
    return BridgeProcess(str(made["id"]), dict(made["credentials"]), directory, prefix)


def register_gate(pm: ApiClient, project_id: str, kind: str, bridge: BridgeProcess | None = None, *,
                  capacity: int | None = None) -> tuple[dict[str, Any], SimulatedDevice]:
    """``POST gates``: the registration (with a native gate's credentials), and the device that stands for it
    (holding ``capacity`` people and faces; None: the simulator's default, 3,000)."""
    serial = f"{kind[:2].upper()}{uuid.uuid4().hex[:14].upper()}"
    body = {"kind": kind, "serial": serial, "direction": "both", "name": f"{MODELS[kind]} {serial[-4:]}",
            "place": "东大门", **({"bridge_id": bridge.id} if bridge else {})}
    made = eventually(lambda: _created(pm.call("POST", f"{ATTENDANCE}/projects/{project_id}/gates", json=body)),
                      timeout=60, interval=0.2)
    device = SimulatedDevice(serial, model=MODELS[kind])
    if capacity is not None:
        device.people_capacity = device.faces_capacity = capacity
    return made, device


def _created(response: Any) -> Any:
    return response.json() if response.status_code == 201 else None
