"""A site bridge as it runs on a site PC: its TOML file and its process (``realname-edge gates run --config
FILE``), started, stopped (SIGTERM, then SIGKILL), killed. The demo site runs one; the gate tests run theirs."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EDGE = Path(sys.executable).with_name("realname-edge")


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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
        log.close()  # the child holds its own copy

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
