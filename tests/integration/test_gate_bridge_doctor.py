"""``realname-edge gates doctor`` against the real RabbitMQ: it names what is wrong with the bridge's broker account
and with each gate (a fake driver's findings), in English and Chinese, as text or JSON, and exits non-zero."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from realname_edge.cli import main
from tests.support.fake_gate import FakeGates
from tests.support.gate_platform import GatePlatform, bridge_file, platform_for, url_with_password
from tests.support.infra import unique_prefix

WRONG = "not-the-password-7"


@pytest.fixture
def platform() -> Iterator[GatePlatform]:
    yield from platform_for(f"{unique_prefix()}.")


def doctor(config: Path, *flags: str) -> int:
    return main(["gates", "doctor", "--config", str(config), *flags], gate_builders=FakeGates().builders())


def test_a_wrong_password_is_broker_unreachable_and_each_gates_findings_are_named_in_both_languages(
        platform: GatePlatform, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = bridge_file(tmp_path, platform.prefix, ["ZK-1", "ZK-2"], url=url_with_password(WRONG),
                         findings=["clock_off", "not_polling"])

    code = doctor(config)

    text = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] broker (broker_unreachable): The broker refused the bridge's user name or password" in text
    assert "消息服务器拒绝了网关桥接程序的用户名或密码" in text
    for serial in ("ZK-1", "ZK-2"):
        assert f"[FAIL] gate {serial} (clock_off): the fake gate says clock_off" in text
        assert f"[FAIL] gate {serial} (not_polling): the fake gate says not_polling" in text
    assert "模拟闸机报告 clock_off" in text and "模拟闸机报告 not_polling" in text
    assert WRONG not in text and "***" in text
    assert text.splitlines()[-1].startswith("Not ready")


def test_the_json_report_carries_every_finding_for_machines(
        platform: GatePlatform, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = bridge_file(tmp_path, platform.prefix, ["ZK-1"], url=url_with_password(WRONG), findings=["full"])

    code = doctor(config, "--json")

    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ready"] is False
    assert [(c["check"], c["reason"], c["ok"]) for c in report["checks"]] == [
        ("broker", "broker_unreachable", False), ("gate ZK-1", "full", False)]
    assert report["checks"][1]["message_zh"] == "模拟闸机报告 full"


def test_a_bridge_whose_command_queue_is_missing_is_told_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = bridge_file(tmp_path, f"{unique_prefix()}.", ["ZK-1"])  # no platform has set this prefix up

    code = doctor(config)

    text = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] broker (broker_unreachable): The broker has no command queue for this bridge's account" in text
    assert "[ OK ] gate ZK-1 (gate_ok)" in text


def test_a_healthy_bridge_is_ready_to_run(platform: GatePlatform, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = doctor(bridge_file(tmp_path, platform.prefix, ["ZK-1"]))

    text = capsys.readouterr().out
    assert code == 0, text
    assert "[ OK ] broker (broker_ok)" in text and "[ OK ] gate ZK-1 (gate_ok)" in text
    assert text.splitlines()[-1].startswith("Ready: `realname-edge gates run` can start")
