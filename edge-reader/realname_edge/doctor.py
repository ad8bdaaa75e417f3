"""``realname-edge doctor``: what is wrong with this reader set-up, named, instead of "send us a screenshot" (R2).

It lists the serial ports (and says at which a supported reader answers) and the PC/SC readers, tries one read
with the configured driver (the card is shown masked and never published), and connects to the broker with
the employer's account. Each finding is a ``CheckResult`` with a stable reason code and advice in English and
Chinese. Findings that ``run`` cannot do without are ``required``; the others (other ports, no card on the
reader right now) only inform. Every check has a bounded wait, and the broker is asked while the reader is
tried, so the doctor answers within about 15 s even when the broker is dead.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions

from realname_edge import report
from realname_edge.card import CardRecord
from realname_edge.config import EdgeConfig, masked_url
from realname_edge.drivers.base import CardReaderDriver, drivers_by_name
from realname_edge.errors import CardReaderError, UnsupportedModel
from realname_edge.report import CheckResult, ready_to_run, render_json

__all__ = ["CheckResult", "ready_to_run", "render_json", "render_text", "run_doctor"]

PROBE_RESPONSE_TIMEOUT = 1.5  # seconds a serial port has to answer the "read SAM id" probe
MAX_READ_WAIT = 8.0  # the doctor waits at most this long for a card, whatever the read timeout
BROKER_TIMEOUT = 5.0  # per step of the broker connection (TCP connect, AMQP handshake)
BROKER_DEADLINE = 12.0  # the whole broker check, counted from the doctor's start
_PROBE_THREADS = 8
_NOT_BLOCKING_RUN = frozenset({"no_card", "card_unreadable"})  # the reader works; the card is what is missing


@dataclass(frozen=True)
class SerialPort:
    device: str
    description: str


def _serial_ports() -> list[SerialPort]:
    from realname_edge.drivers.sam_serial import list_serial_ports  # pyserial, imported only when asked

    return [SerialPort(port.device, port.description) for port in list_serial_ports()]


def _serial_probe(port: str) -> CardReaderDriver:
    from realname_edge.drivers.sam_serial import SamSerialDriver

    return SamSerialDriver(port, response_timeout=PROBE_RESPONSE_TIMEOUT)


def _pcsc_readers() -> list[str]:
    from realname_edge.drivers.pcsc import list_pcsc_readers  # pyscard and pcscd may be missing: see check_pcsc

    return [str(reader) for reader in list_pcsc_readers()]


def _configured_reader(config: EdgeConfig) -> CardReaderDriver:
    return drivers_by_name()[config.driver](config.target)


@dataclass(frozen=True)
class Probes:
    """What the doctor looks at; tests put fakes in their place."""

    serial_ports: Callable[[], Sequence[SerialPort]] = _serial_ports
    serial_probe: Callable[[str], CardReaderDriver] = _serial_probe
    pcsc_readers: Callable[[], Sequence[str]] = _pcsc_readers
    reader: Callable[[EdgeConfig], CardReaderDriver] = _configured_reader
    connect: Callable[[Any], Any] = pika.BlockingConnection


def run_doctor(config: EdgeConfig, *, skip_read: bool = False, probes: Probes | None = None,
               broker_deadline: float = BROKER_DEADLINE) -> list[CheckResult]:
    """Every check, in a fixed order: configuration, serial ports, PC/SC readers, the read, the broker."""
    probes = probes or Probes()
    results = [check_config(config)]
    broker = _BrokerCheck(config, probes.connect) if config.amqp_url else None
    results += check_serial_ports(probes.serial_ports, probes.serial_probe)
    results += check_pcsc(probes.pcsc_readers)
    if not skip_read:
        results.append(check_read(probes.reader(config), min(config.read_timeout, MAX_READ_WAIT)))
    if broker is not None:
        results.append(broker.result(broker_deadline))
    return results


class _BrokerCheck:
    """The broker check on a thread of its own, asked while the reader is tried; never waited for past a deadline
    (a broker that accepted the login and then froze would otherwise hold the doctor until the heartbeat fails)."""

    def __init__(self, config: EdgeConfig, connect: Callable[[Any], Any]) -> None:
        self._where = f"{masked_url(config.amqp_url)}, exchange {config.exchange!r}"
        self._started = time.monotonic()
        self._result: CheckResult | None = None
        self._thread = threading.Thread(target=self._check, args=(config.amqp_url, config.exchange, connect),
                                        name="doctor-broker", daemon=True)
        self._thread.start()

    def _check(self, url: str, exchange: str, connect: Callable[[Any], Any]) -> None:
        self._result = check_broker(url, exchange, connect)

    def result(self, deadline: float) -> CheckResult:
        self._thread.join(max(0.0, self._started + deadline - time.monotonic()))
        if self._result is not None:
            return self._result
        return _broker_result("broker_unreachable", f"{self._where}: no answer within {deadline:g} s")


def check_config(config: EdgeConfig) -> CheckResult:
    missing = config.problems_for_run()
    if not missing:
        return CheckResult("config", True, "config_complete", "The configuration has everything run needs.",
                           "运行所需的配置已齐全。", repr(config))
    names = "、".join(problem.variable for problem in missing)
    return CheckResult("config", False, "config_incomplete", "; ".join(str(problem) for problem in missing),
                       f"运行所需的配置不完整，请设置：{names}。")


def check_serial_ports(list_ports: Callable[[], Sequence[SerialPort]],
                       probe: Callable[[str], CardReaderDriver]) -> list[CheckResult]:
    try:
        ports = list(list_ports())
    except Exception as exc:
        return [CheckResult("serial_ports", False, "serial_ports_unavailable",
                            f"The serial ports could not be listed: {exc}", f"无法列出串口：{exc}",
                            required=False)]
    if not ports:
        return [CheckResult("serial_ports", False, "no_serial_ports",
                            "No serial ports on this machine: a USB reader is not plugged in, or its USB-serial "
                            "driver is not installed.", "本机没有串口：USB读卡器未连接，或其USB转串口驱动未安装。",
                            required=False)]
    with ThreadPoolExecutor(max_workers=_PROBE_THREADS, thread_name_prefix="doctor-serial") as pool:
        return list(pool.map(lambda port: probe_serial_port(port, probe), ports))


def probe_serial_port(port: SerialPort, probe: Callable[[str], CardReaderDriver]) -> CheckResult:
    """Ask the port for a SAM id: only a certified reader answers in SAM frames."""
    where = f"{port.device} ({port.description})"
    driver = probe(port.device)
    try:
        driver.open()
    except UnsupportedModel as exc:
        return CheckResult("serial_port", False, exc.reason, f"{where}: not a supported reader. {exc.advice}",
                           f"{port.device}：不是受支持的读卡器。{exc.advice_zh}", exc.detail, required=False)
    except CardReaderError as exc:
        return CheckResult("serial_port", False, exc.reason,
                           f"{where}: not answering (no reader there, or the port is in use). {exc.advice}",
                           f"{port.device}：无应答（未连接读卡器，或端口被占用）。{exc.advice_zh}", exc.detail,
                           required=False)
    except Exception as exc:  # a driver bug must not hide the other ports
        return CheckResult("serial_port", False, "probe_failed", f"{where}: the probe failed: {exc!r}",
                           f"{port.device}：检测失败：{exc!r}", required=False)
    else:
        return CheckResult("serial_port", True, "supported_reader", f"{where}: supported reader.",
                           f"{port.device}：受支持的身份证阅读器。", driver.describe(), required=False)
    finally:
        driver.close()


def check_pcsc(list_readers: Callable[[], Sequence[str]]) -> list[CheckResult]:
    try:
        readers = list(list_readers())
    except Exception as exc:  # ImportError, pcscd not running, pyscard missing: all mean the same here
        why = exc.detail or exc.message if isinstance(exc, CardReaderError) else f"{type(exc).__name__}: {exc}"
        return [CheckResult("pcsc", False, "pcsc_unavailable", f"PC/SC not available: {why}",
                            f"PC/SC 不可用：{why}", required=False)]
    if not readers:
        return [CheckResult("pcsc", False, "no_pcsc_readers", "PC/SC works, but no PC/SC reader is connected.",
                            "PC/SC 服务正常，但未连接任何 PC/SC 读卡器。", required=False)]
    return [CheckResult("pcsc_reader", True, "pcsc_reader_found",
                        f"PC/SC reader {name!r}: use it with REALNAME_EDGE_DRIVER=pcsc and REALNAME_EDGE_TARGET "
                        "set to part of its name.", f"PC/SC 读卡器 {name!r}：可使用 pcsc 驱动。", name, required=False)
            for name in readers]


def check_read(driver: CardReaderDriver, timeout: float) -> CheckResult:
    """One read with the configured driver; the card is shown masked and not published."""
    try:
        driver.open()
        card: CardRecord = driver.read_card(timeout)
    except CardReaderError as exc:
        return CheckResult("read", False, exc.reason, exc.advice, exc.advice_zh,
                           f"{driver.describe()}: {exc.detail}", required=exc.reason not in _NOT_BLOCKING_RUN)
    except Exception as exc:  # a samples file no card could hold, a driver bug: still a named finding
        return CheckResult("read", False, "reader_failed", f"The reader failed: {type(exc).__name__}: {exc}",
                           f"读卡器出错：{type(exc).__name__}: {exc}", driver.describe())
    finally:
        with contextlib.suppress(Exception):
            driver.close()
    return CheckResult("read", True, "card_read", "A card was read (it was not published): the reader works.",
                       "已读取身份证（未上传）：读卡器工作正常。", f"{driver.describe()}: {card!r}")


_BROKER_ADVICE = {
    "broker_ok": ("The broker accepts the employer's account and the exchange exists.",
                  "消息服务器已接受企业账号，交换器存在。"),
    "broker_unreachable": ("The broker cannot be reached. Check the network, the host and port in "
                           "REALNAME_EDGE_AMQP_URL, and any firewall or proxy in between.",
                           "无法连接消息服务器。请检查网络、REALNAME_EDGE_AMQP_URL 中的主机和端口，以及防火墙或代理。"),
    "credentials_refused": ("The broker refused the employer's user name or password, or the account's access "
                            "to the virtual host. Check REALNAME_EDGE_AMQP_URL against the account you were given.",
                            "消息服务器拒绝了企业的用户名或密码，或该账号无权访问此虚拟主机。"
                            "请核对 REALNAME_EDGE_AMQP_URL 与平台发放的账号。"),
    "exchange_missing": ("The broker has no exchange of the name in REALNAME_EDGE_EXCHANGE. Check the name, "
                         "or ask the platform's operators to set it up.",
                         "消息服务器上没有 REALNAME_EDGE_EXCHANGE 指定的交换器。请核对名称，或联系平台运维人员创建。"),
}


def check_broker(url: str, exchange: str, connect: Callable[[Any], Any] = pika.BlockingConnection) -> CheckResult:
    """Log in with the employer's account, then look (passively) for the exchange reads go to."""
    where = f"{masked_url(url)}, exchange {exchange!r}"
    try:
        connection = connect(broker_parameters(url))
    except (pika.exceptions.ProbableAuthenticationError, pika.exceptions.ProbableAccessDeniedError,
            pika.exceptions.AuthenticationError) as exc:
        return _broker_result("credentials_refused", where, exc)
    except Exception as exc:  # AMQPError, OSError, and pika's own AMQPConnectorStackTimeout (no AMQPError)
        return _broker_result("broker_unreachable", where, exc)
    try:
        connection.channel().exchange_declare(exchange, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        reason = {404: "exchange_missing", 403: "credentials_refused"}.get(exc.reply_code, "broker_unreachable")
        return _broker_result(reason, where, exc)
    except (pika.exceptions.AMQPError, OSError) as exc:
        return _broker_result("broker_unreachable", where, exc)
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return _broker_result("broker_ok", where)


def broker_parameters(url: str) -> Any:
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.socket_timeout = BROKER_TIMEOUT
    params.stack_timeout = BROKER_TIMEOUT + 1
    params.blocked_connection_timeout = BROKER_TIMEOUT
    params.heartbeat = round(BROKER_TIMEOUT)
    params.client_properties = {"connection_name": "realname-edge doctor"}
    return params


def _broker_result(reason: str, where: str, exc: BaseException | None = None) -> CheckResult:
    message, message_zh = _BROKER_ADVICE[reason]
    detail = f"{where}: {type(exc).__name__}: {exc}" if exc else where
    return CheckResult("broker", reason == "broker_ok", reason, message, message_zh, detail)


def render_text(results: Sequence[CheckResult]) -> str:
    return report.render_text(results, title="realname-edge doctor (读卡环境诊断)", command="realname-edge run")
