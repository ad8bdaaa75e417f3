"""The site bridge with its real vendor drivers: a Hikvision ISAPI terminal it calls and a ZKTeco PUSH terminal
that polls it (both simulators over real HTTP), driven from the bridge's command queue on the real RabbitMQ.
Acknowledgements, punches and reports arrive on ``gates.events``; each device ends up holding exactly who the
platform asked for."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from realname_codes.gate_protocol import DONE, ENROL, REVOKE, Command
from realname_edge.gate_sims.device import SimulatedDevice
from realname_edge.gate_sims.isapi import IsapiTerminal
from realname_edge.gate_sims.zkteco import ZkTerminal
from realname_edge.gates.bridge import Bridge
from realname_edge.gates.config import load_bridge_config
from tests.support.gate_platform import GatePlatform, eventually, platform_for
from tests.support.infra import amqp_url, free_port, unique_prefix

FACE = (Path(__file__).resolve().parents[1] / "support" / "faces" / "astronaut.jpg").read_bytes()
ISAPI, ZK = "DS-K1T-BRIDGE-1", "ZK-BRIDGE-1"


@pytest.fixture
def platform() -> Iterator[GatePlatform]:
    yield from platform_for(f"{unique_prefix()}.")


def config_file(folder: Path, prefix: str, isapi_url: str, password: str) -> tuple[Path, int]:
    port = free_port()
    lines = [f"amqp_url = {json.dumps(amqp_url())}", f"prefix = {json.dumps(prefix)}",
             f"spool = {json.dumps(str(folder / 'gates-spool.sqlite'))}", f'listen = "127.0.0.1:{port}"',
             f'public_url = "http://127.0.0.1:{port}"',
             "[[gates]]", f'serial = "{ISAPI}"', 'kind = "hikvision-isapi"', f"address = {json.dumps(isapi_url)}",
             'username = "admin"', f"password = {json.dumps(password)}", "[gates.options]", "poll_s = 1",
             "[[gates]]", f'serial = "{ZK}"', 'kind = "zkteco-push"', "[gates.options]", "delay = 2"]
    path = folder / "gates.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, port


def enrol(device: str, key: str, sequence: int = 1) -> Command:
    return Command(str(uuid.uuid4()), ENROL, device, sequence, worker_key=key, name="王建国",
                   face_jpeg=base64.b64encode(FACE).decode(), face_sha256=hashlib.sha256(FACE).hexdigest(),
                   valid_from="2026-12-01T00:00:00+08:00", valid_until="2027-06-30T23:59:59+08:00")


def revoke(device: str, key: str, sequence: int = 2) -> Command:
    return Command(str(uuid.uuid4()), REVOKE, device, sequence, worker_key=key)


def test_the_bridge_enrols_and_revokes_on_both_vendor_gates_and_their_punches_arrive(
        platform: GatePlatform, tmp_path: Path) -> None:
    platform.bind_events_queue()
    hik, zk = SimulatedDevice(ISAPI, firmware="V3.2.30 build 230101"), SimulatedDevice(ZK)
    terminal = IsapiTerminal(hik, password="Sim-Pass-1").start()
    config, port = config_file(tmp_path, platform.prefix, terminal.url, "Sim-Pass-1")
    stop = threading.Event()
    bridge = threading.Thread(target=Bridge(load_bridge_config(config), confirm_timeout=5).run, args=(stop,))
    bridge.start()
    polling = ZkTerminal(zk, f"http://127.0.0.1:{port}/iclock", delay_s=0.5).start()
    try:
        sent = [enrol(ISAPI, "1001"), enrol(ZK, "1001"), enrol(ISAPI, "1002"), enrol(ZK, "1002")]
        for command in sent:
            platform.send(command)
        eventually(lambda: set(platform.acked_ids()) >= {c.command_id for c in sent}, "every enrol acknowledged")
        assert {a["outcome"] for a in platform.of_type("gate.acknowledged")} == {DONE}
        face = hashlib.sha256(FACE).hexdigest()
        assert hik.listing() == {"1001": face, "1002": face}
        assert zk.listing() == {"1001": face, "1002": face}

        leaving = [revoke(ISAPI, "1002"), revoke(ZK, "1002")]
        for command in leaving:
            platform.send(command)
        eventually(lambda: set(platform.acked_ids()) >= {c.command_id for c in leaving}, "both revokes acknowledged")
        assert set(hik.listing()) == set(zk.listing()) == {"1001"}

        terminal.punch("1001")
        polling.punch("1001")
        eventually(lambda: {p["device"] for p in platform.of_type("gate.punched")} == {ISAPI, ZK},
                   "a punch from each gate")
        eventually(lambda: {r["device"] for r in platform.of_type("gate.reported")} >= {ISAPI, ZK},
                   "a health report of each gate")
    finally:
        polling.stop()
        stop.set()
        bridge.join(60)
        terminal.stop()
    assert not bridge.is_alive()
