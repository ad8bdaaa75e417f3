"""The demo site's devices: one site bridge and one gate of each kind, registered on the demo project (found again
on a later start, their credentials then rotated: the old ones were shown once), run as the shipped simulators
behind the bridge process, exactly as the gate tests run them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from realname_codes.gate_protocol import HIKVISION_ISAPI, NATIVE, ZKTECO_PUSH
from realname_edge.gate_sims.device import SimulatedDevice
from realname_edge.gate_sims.isapi import IsapiTerminal
from realname_edge.gate_sims.native import NativeGate
from realname_edge.gate_sims.zkteco import ZkTerminal
from realname_launcher.demo_site.bridge import BridgeProcess
from realname_launcher.demo_site.client import Api, eventually

ATTENDANCE = "/api/v1/attendance"
BRIDGE_NAME = "演示现场网关"
# One gate of each kind: (serial, model, name). The serial is what finds a gate again on the next start.
GATES = {NATIVE: ("DEMO-NATIVE-01", "RN-ANDROID-FACE", "演示原生闸机"),
         HIKVISION_ISAPI: ("DEMO-HIK-01", "DS-K1T671MF", "演示海康闸机"),
         ZKTECO_PUSH: ("DEMO-ZK-01", "SpeedFace-V5L", "演示中控闸机")}
ISAPI_PASSWORD = "Hik12345+"  # noqa: S105 - the simulated terminal's own, on this machine only
ZK_POLL_S = 2.0  # a real terminal polls every 2-60 s


@dataclass
class Devices:
    bridge: BridgeProcess
    gate_ids: dict[str, str]  # kind -> the gate's id on the platform
    terminals: list[Any] = field(default_factory=list)  # NativeGate | IsapiTerminal | ZkTerminal, running
    reused: bool = False

    def stop(self) -> None:
        for terminal in self.terminals:
            terminal.stop()
        self.bridge.stop()


def install(pm: Api, project_id: str, directory: Path, prefix: str) -> Devices:
    """Register (or find, and re-credential) the bridge and the gates, then start the terminals and the bridge."""
    bridge, reused = _bridge(pm, project_id, directory, prefix)
    gates = {kind: _gate(pm, project_id, kind, bridge.id) for kind in GATES}
    devices = Devices(bridge, {kind: str(g["id"]) for kind, g in gates.items()}, reused=reused)
    native = gates[NATIVE]["credentials"]
    terminal = NativeGate(_device(NATIVE), native["amqp_url"], native["account"], prefix=prefix, report_every_s=30)
    terminal.start()
    devices.terminals.append(terminal)
    isapi = IsapiTerminal(_device(HIKVISION_ISAPI), password=ISAPI_PASSWORD).start()
    devices.terminals.append(isapi)
    bridge.gates = [{"serial": GATES[HIKVISION_ISAPI][0], "kind": HIKVISION_ISAPI, "direction": "both",
                     "address": isapi.url, "username": "admin", "password": ISAPI_PASSWORD},
                    {"serial": GATES[ZKTECO_PUSH][0], "kind": ZKTECO_PUSH, "direction": "both"}]
    bridge.start()
    devices.terminals.append(ZkTerminal(_device(ZKTECO_PUSH), f"{bridge.public_url}/iclock", delay_s=ZK_POLL_S).start())
    return devices


def _bridge(pm: Api, project_id: str, directory: Path, prefix: str) -> tuple[BridgeProcess, bool]:
    found = [b for b in pm.call("GET", f"{ATTENDANCE}/projects/{project_id}/bridges", params={"limit": 500})["items"]
             if b["name"] == BRIDGE_NAME]
    if found:
        made = pm.call("POST", f"{ATTENDANCE}/bridges/{found[0]['id']}/credentials", 200, 201)
    else:
        made = eventually(lambda: pm.answer("POST", f"{ATTENDANCE}/projects/{project_id}/bridges", 201, json={
            "name": BRIDGE_NAME, "place": "门卫室"}), "the site bridge (once the attendance service knows the project)")
    # Its spool and journal under its own id: another platform on the same data dir (the other mode) has another
    # bridge, with another account, that must never publish what this one spooled.
    bridge_id = str(made["id"])
    (directory / bridge_id).mkdir(parents=True, exist_ok=True)
    return BridgeProcess(bridge_id, dict(made["credentials"]), directory / bridge_id, prefix), bool(found)


def _gate(pm: Api, project_id: str, kind: str, bridge_id: str) -> dict[str, Any]:
    serial, model, name = GATES[kind]
    found = [g for g in pm.call("GET", f"{ATTENDANCE}/projects/{project_id}/gates", params={"limit": 500})["items"]
             if g["serial"] == serial]
    if found and kind == NATIVE:
        return dict(pm.call("POST", f"{ATTENDANCE}/gates/{found[0]['id']}/credentials", 200, 201))
    if found:
        return dict(found[0])
    return dict(pm.call("POST", f"{ATTENDANCE}/projects/{project_id}/gates", 201, json={
        "kind": kind, "serial": serial, "direction": "both", "name": f"{name} {model}", "place": "东大门",
        **({"bridge_id": bridge_id} if kind != NATIVE else {})}))


def _device(kind: str) -> SimulatedDevice:
    serial, model, _ = GATES[kind]
    return SimulatedDevice(serial, model=model)
