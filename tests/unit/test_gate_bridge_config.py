"""The site bridge's TOML file: read into a BridgeConfig, every mistake named by its key, no password ever shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from realname_edge.config import ConfigError
from realname_edge.gates.config import load_bridge_config

GOOD = """
amqp_url = "amqp://bridge-site-9:s3cret-pw@mq.example.cn:5672/%2F"
prefix = "prod."
spool = "{spool}"
listen = "0.0.0.0:8086"
public_url = "http://192.168.1.20:8086/"

[[gates]]
serial = "DS-K1T671-0001"
kind = "hikvision-isapi"
direction = "in"
address = "http://192.168.1.31"
username = "admin"
password = "gate-pw-1"
options = {{ door_no = 1 }}

[[gates]]
serial = "ZK-0001"
kind = "zkteco-push"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.toml"
    path.write_text(text.replace("{spool}", str(tmp_path / "spool.sqlite")).replace("{{", "{").replace("}}", "}"),
                    encoding="utf-8")
    return path


def test_a_complete_file_gives_the_account_the_server_and_every_gate(tmp_path: Path) -> None:
    config = load_bridge_config(write(tmp_path, GOOD))

    assert (config.account, config.prefix, config.listen_host, config.listen_port) == (
        "bridge-site-9", "prod.", "0.0.0.0", 8086)
    assert config.public_url == "http://192.168.1.20:8086"
    isapi, zk = config.gates
    assert (isapi.serial, isapi.kind, isapi.direction, isapi.options) == (
        "DS-K1T671-0001", "hikvision-isapi", "in", {"door_no": 1})
    assert (zk.serial, zk.kind, zk.direction, zk.address) == ("ZK-0001", "zkteco-push", "both", "")


def test_no_password_is_shown_by_the_configuration(tmp_path: Path) -> None:
    config = load_bridge_config(write(tmp_path, GOOD))

    shown = repr(config) + repr(config.gates)

    assert "s3cret-pw" not in shown and "gate-pw-1" not in shown
    assert "amqp://bridge-site-9:***@mq.example.cn:5672/%2F" in shown


@pytest.mark.parametrize(("change", "named"), [
    (('kind = "zkteco-push"', 'kind = "dahua"'), "kind of gates[1] in"),
    (('direction = "in"', 'direction = "sideways"'), "direction of gates[0] in"),
    (('listen = "0.0.0.0:8086"', 'listen = "8086"'), "listen in"),
    (('public_url = "http://192.168.1.20:8086/"', 'public_url = "192.168.1.20"'), "public_url in"),
    (("amqp://bridge-site-9:s3cret-pw@", "amqp://"), "amqp_url in"),
    (('serial = "ZK-0001"', 'serial = "DS-K1T671-0001"'), "serial ['DS-K1T671-0001'] given more than once"),
    (('serial = "ZK-0001"', 'serial = "ZK-0001"\ncolour = "red"'), "unknown keys ['colour'] of gates[1] in"),
    (('prefix = "prod."', 'prefix = 7'), "prefix in"),
])
def test_a_wrong_value_is_named_by_its_key(tmp_path: Path, change: tuple[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_bridge_config(write(tmp_path, GOOD.replace(*change)))

    assert named in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


def test_a_missing_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"public_url in .* is missing"):
        load_bridge_config(write(tmp_path, GOOD.replace('public_url = "http://192.168.1.20:8086/"', "")))
