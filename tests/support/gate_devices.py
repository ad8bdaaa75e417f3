"""A site's gates as they are installed: registered through the attendance API, then running as simulators.

A native gate runs ``NativeGate`` with the credentials its registration showed once. Vendor gates sit behind a site
bridge: the bridge's registration gives its credentials, which go into its TOML file with each gate's address; the
bridge runs as its own process (``realname-edge gates run --config FILE``), exactly as on a site PC; an ISAPI gate is
an ``IsapiTerminal`` the bridge calls, a ZKTeco gate a ``ZkTerminal`` that polls the bridge.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from realname_codes.gate_protocol import HIKVISION_ISAPI, NATIVE, ZKTECO_PUSH
from realname_edge.gate_sims.device import SimulatedDevice
from tests.support.infra import free_port
from tests.support.launched import ApiClient
from tests.support.stack import eventually

ATTENDANCE = "/api/v1/attendance"
EDGE = Path(sys.executable).with_name("realname-edge")
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


@dataclass
class BridgeProcess:
    """A site bridge: its registration, its configuration file, and its process (started, killed, started again)."""

    id: str
    credentials: dict[str, Any]
    directory: Path
    prefix: str
    port: int = field(default_factory=free_port)
    gates: list[dict[str, Any]] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.directory / "bridge.toml"

    def write_config(self) -> None:
        settings = {"amqp_url": self.credentials["amqp_url"], "prefix": self.prefix,
                    "spool": str(self.directory / "spool.sqlite"), "listen": f"127.0.0.1:{self.port}",
                    "public_url": self.public_url}
        lines = [f"{key} = {_toml(value)}" for key, value in settings.items()]
        for gate in self.gates:
            lines.append("\n[[gates]]")
            lines += [f"{key} = {_toml(value)}" for key, value in gate.items() if key != "options"]
            if gate.get("options"):
                lines.append("[gates.options]")
                lines += [f"{key} = {_toml(value)}" for key, value in gate["options"].items()]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.write_config()
        self.starts += 1
        log = (self.directory / f"bridge-{self.starts}.log").open("wb")
        self.process = subprocess.Popen([str(EDGE), "gates", "run", "--config", str(self.config)],
                                        stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL: no goodbye, whatever it was doing (the journal and the spool must carry it over)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.directory.glob("bridge-*.log")))


def _toml(value: Any) -> str:
    """A TOML value: JSON's strings, numbers and booleans are TOML's too."""
    return json.dumps(value, ensure_ascii=False)


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
