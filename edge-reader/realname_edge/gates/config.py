"""The site bridge's configuration: one TOML file (``realname-edge gates run --config FILE``).

    amqp_url = "amqp://BRIDGE-ACCOUNT:PASSWORD@HOST:5672/VHOST"   # the bridge's own broker account
    prefix = ""                                  # the platform's name prefix of exchanges and queues
    spool = "/var/lib/realname-edge/gates.sqlite"  # default: <data dir>/realname-edge/gates-spool.sqlite
    listen = "0.0.0.0:8086"                      # where the bridge's HTTP server for the devices listens
    public_url = "http://192.168.1.20:8086"      # what the devices are told to call

    [[gates]]
    serial = "DS-K1T671-0001"
    kind = "hikvision-isapi"                     # or zkteco-push
    direction = "in"                             # in | out | both
    address = "http://192.168.1.31"
    username = "admin"
    password = "..."
    options = { door_no = 1 }

The account's password is shown only masked (``masked_url``) and a gate's password never. An error names the key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pika

from realname_codes.gate_protocol import DIRECTIONS, VENDOR_KINDS
from realname_edge.config import ConfigError, default_spool, masked_url
from realname_edge.gates.driver import GateConfig

_KEYS = {"amqp_url", "prefix", "spool", "listen", "public_url", "gates"}
_GATE_KEYS = {"serial", "kind", "direction", "address", "username", "password", "options"}


@dataclass(frozen=True, repr=False)
class BridgeConfig:
    amqp_url: str
    prefix: str
    spool_path: Path
    listen_host: str
    listen_port: int
    public_url: str
    gates: tuple[GateConfig, ...] = field(default=())

    @property
    def account(self) -> str:
        """The bridge's broker account: its messages' user_id and the name of its command queue."""
        return unquote(urlsplit(self.amqp_url).username or "")

    def __repr__(self) -> str:
        return (f"BridgeConfig(amqp_url={masked_url(self.amqp_url)!r}, prefix={self.prefix!r}, "
                f"spool_path={str(self.spool_path)!r}, listen={self.listen_host}:{self.listen_port}, "
                f"public_url={self.public_url!r}, gates={[g.serial for g in self.gates]!r})")


def load_bridge_config(path: str | Path) -> BridgeConfig:
    """Read and check the file; ConfigError names the key of a bad value."""
    file = Path(path)
    values = _read(file)
    where = f"in {file}"
    unknown = sorted(set(values) - _KEYS)
    if unknown:
        raise ConfigError(f"unknown keys {unknown} {where}; known: {sorted(_KEYS)}")
    host, port = _listen(_text(values, "listen", where), where)
    spool = _text(values, "spool", where, required=False)
    return BridgeConfig(
        amqp_url=_amqp_url(_text(values, "amqp_url", where), where), prefix=_text(values, "prefix", where,
                                                                                   required=False),
        spool_path=Path(spool) if spool else default_spool(os.environ, os.name == "nt").with_name("gates-spool.sqlite"),
        listen_host=host, listen_port=port, public_url=_public_url(_text(values, "public_url", where), where),
        gates=_gates(values.get("gates", []), where))


def _read(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {file}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the configuration file {file} is not valid TOML: {exc}") from exc


def _text(values: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = values.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{key} {where} must be a string, not {type(value).__name__}")
    if required and not value.strip():
        raise ConfigError(f"{key} {where} is missing")
    return value.strip()


def _amqp_url(url: str, where: str) -> str:
    shown = masked_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for a bad one
        pika.URLParameters(url)
    except ValueError as exc:
        raise ConfigError(f"amqp_url {where} is not a valid AMQP URL ({shown}): {exc}") from exc
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname or not parts.username or parts.password is None:
        raise ConfigError(f"amqp_url {where} must be the bridge's own account, "
                          f"amqp://USER:PASSWORD@HOST:5672/VHOST (or amqps://), not {shown}")
    return url


def _listen(listen: str, where: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"listen {where} must be HOST:PORT (e.g. 0.0.0.0:8086), not {listen!r}")
    return host.strip("[]"), int(port)


def _public_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"public_url {where} must be the http://HOST:PORT the gates can call, not {url!r}")
    return url.rstrip("/")


def _gates(tables: Any, where: str) -> tuple[GateConfig, ...]:
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"gates {where} must be [[gates]] tables")
    gates = tuple(_gate(table, f"of gates[{n}] {where}") for n, table in enumerate(tables))
    serials = [g.serial for g in gates]
    twice = sorted({s for s in serials if serials.count(s) > 1})
    if twice:
        raise ConfigError(f"gates {where}: serial {twice} given more than once")
    return gates


def _gate(table: dict[str, Any], where: str) -> GateConfig:
    unknown = sorted(set(table) - _GATE_KEYS)
    if unknown:
        raise ConfigError(f"unknown keys {unknown} {where}; known: {sorted(_GATE_KEYS)}")
    text = {key: _text(table, key, where, required=key in ("serial", "kind"))
            for key in ("serial", "kind", "direction", "address", "username", "password")}
    if text["kind"] not in VENDOR_KINDS:
        raise ConfigError(f"kind {where} must be one of {', '.join(VENDOR_KINDS)}, not {text['kind']!r}")
    direction = text["direction"] or "both"
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction {where} must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"options {where} must be a table, e.g. options = {{ door_no = 1 }}")
    return GateConfig(serial=text["serial"], kind=text["kind"], direction=direction, address=text["address"],
                      username=text["username"], password=text["password"], options=dict(options))
