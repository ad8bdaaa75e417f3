"""``realname-edge gates doctor``: what is wrong with this site bridge, named (codes in ``driver.FINDINGS``), in
English and Chinese, in the card reader's report format (``realname_edge.report``).

The broker: the bridge's account logs in and its command queue is there and readable (a passive declare: nothing
is taken from it). Each gate: its driver's ``check()`` talks to the device and names every problem. The gates are
checked side by side, so a few dead devices do not add up their timeouts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pika
import pika.exceptions

from realname_codes.gate_protocol import command_queue
from realname_edge import report
from realname_edge.config import masked_url
from realname_edge.doctor import broker_parameters
from realname_edge.gates.config import BridgeConfig
from realname_edge.gates.driver import Finding, GateDriver
from realname_edge.gates.kinds import Builder, Site, build_drivers
from realname_edge.report import CheckResult

BROKER_UNREACHABLE = "broker_unreachable"
_WHY = {
    "refused": ("The broker refused the bridge's user name or password. Check amqp_url against the account the "
                "platform gave this bridge.",
                "消息服务器拒绝了网关桥接程序的用户名或密码。请核对 amqp_url 与平台发放的账号。"),
    "network": ("The broker cannot be reached. Check the network, the host and port in amqp_url, and any firewall "
                "or proxy in between.", "无法连接消息服务器。请检查网络、amqp_url 中的主机和端口，以及防火墙或代理。"),
    "queue": ("The broker has no command queue for this bridge's account, or the account may not read it. Check "
              "prefix and the account, or ask the platform's operators to register the bridge.",
              "消息服务器上没有本网关桥接账号的指令队列，或该账号无权读取。"
              "请核对 prefix 与账号，或联系平台运维人员登记此网关桥接。"),
}


def run_gates_doctor(config: BridgeConfig, *, builders: dict[str, Builder] | None = None,
                     connect: Callable[[Any], Any] = pika.BlockingConnection) -> list[CheckResult]:
    drivers = build_drivers(config.gates, Site(config.public_url), builders)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="gates-doctor") as pool:
        broker = pool.submit(check_bridge_broker, config, connect)
        gates = list(pool.map(check_gate, drivers.values()))
    return [broker.result(), *(result for results in gates for result in results)]


def check_bridge_broker(config: BridgeConfig, connect: Callable[[Any], Any]) -> CheckResult:
    queue = command_queue(config.account, config.prefix)
    where = f"{masked_url(config.amqp_url)}, queue {queue!r}"
    try:
        connection = connect(broker_parameters(config.amqp_url))
    except (pika.exceptions.ProbableAuthenticationError, pika.exceptions.ProbableAccessDeniedError,
            pika.exceptions.AuthenticationError) as exc:
        return _broker_problem("refused", where, exc)
    except Exception as exc:  # AMQPError, OSError, and pika's own AMQPConnectorStackTimeout (no AMQPError)
        return _broker_problem("network", where, exc)
    try:
        connection.channel().queue_declare(queue, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        return _broker_problem("queue", where, exc)
    except (pika.exceptions.AMQPError, OSError) as exc:
        return _broker_problem("network", where, exc)
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return CheckResult("broker", True, "broker_ok", "The broker accepts the bridge's account and its command queue "
                       "is there.", "消息服务器已接受网关桥接账号，指令队列存在。", where)


def check_gate(driver: GateDriver) -> list[CheckResult]:
    serial = driver.config.serial
    try:
        findings = driver.check()
    except Exception as exc:  # a driver bug is still a named finding, and the other gates are still checked
        findings = [Finding(serial, "unreachable", f"The check of the gate failed: {type(exc).__name__}: {exc}",
                            f"闸机检测失败：{type(exc).__name__}: {exc}")]
    check = f"gate {serial}"
    if not findings:
        return [CheckResult(check, True, "gate_ok", "The gate answers and nothing is wrong with it.",
                            "闸机应答正常，未发现问题。", driver.config.kind)]
    return [CheckResult(check, False, f.code, f.message, f.message_zh, driver.config.kind) for f in findings]


def render_text(results: Sequence[CheckResult]) -> str:
    return report.render_text(results, title="realname-edge gates doctor (闸机网关诊断)",
                              command="realname-edge gates run")


def _broker_problem(why: str, where: str, exc: BaseException) -> CheckResult:
    message, message_zh = _WHY[why]
    detail = f"{where}: {type(exc).__name__}: {exc}"
    return CheckResult("broker", False, BROKER_UNREACHABLE, message, message_zh, detail)
