"""The edge reader's configuration: ``REALNAME_EDGE_*`` environment variables over an optional TOML file.

The file holds the same settings under short keys (``driver``, ``target``, ``amqp_url``, ``seal_key``,
``employer_id``, ``exchange``, ``spool``, ``read_timeout``, ``retry_seconds``); a variable that is set and not
empty wins over the file. The AMQP URL carries the reader account's broker password, so it is shown only
masked (``masked_url``), in every message, log line and ``repr``; the sealing key is never shown.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pika

from realname_codes.card_seal import SealKeyError, parse_seal_key
from realname_edge.drivers.base import drivers_by_name

_EMPLOYER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class ConfigError(ValueError):
    """A setting is missing or makes no sense; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Variable:
    env: str
    key: str  # the same setting's key in the TOML file
    default: str
    doc: str


VARIABLES: tuple[Variable, ...] = (
    Variable("REALNAME_EDGE_DRIVER", "driver", "simulator", "Card-reader driver: sam-serial, pcsc or simulator."),
    Variable("REALNAME_EDGE_TARGET", "target", "",
             "What the driver reads from: the serial port (sam-serial, e.g. /dev/ttyUSB0 or COM3), part of the "
             "reader's name (pcsc), a samples file (simulator; empty: the bundled samples)."),
    Variable("REALNAME_EDGE_AMQP_URL", "amqp_url", "(required)",
             "The employer's own broker account: amqp://USER:PASSWORD@HOST:5672/VHOST."),
    Variable("REALNAME_EDGE_SEAL_KEY", "seal_key", "(required)",
             "The reader account's sealing key, given with its password: every card is sealed with it before "
             "it is spooled or published."),
    Variable("REALNAME_EDGE_EMPLOYER_ID", "employer_id", "(required)",
             "The employer this reader belongs to; every card.read carries it."),
    Variable("REALNAME_EDGE_EXCHANGE", "exchange", "edge.events", "Exchange card reads are published to."),
    Variable("REALNAME_EDGE_SPOOL", "spool", "<data dir>/realname-edge/spool.sqlite",
             "SQLite spool of reads the broker has not confirmed. Data dir: $XDG_DATA_HOME or ~/.local/share; "
             "on Windows %LOCALAPPDATA%."),
    Variable("REALNAME_EDGE_READ_TIMEOUT", "read_timeout", "5", "Seconds one read waits for a card."),
    Variable("REALNAME_EDGE_RETRY_SECONDS", "retry_seconds", "10", "How often the spooled backlog is sent again."),
)
_BY_KEY = {v.key: v for v in VARIABLES}


@dataclass(frozen=True, slots=True)
class MissingSetting:
    variable: str
    needs: str

    def __str__(self) -> str:
        return f"{self.variable} is not set: give {self.needs}"


@dataclass(frozen=True, repr=False)
class EdgeConfig:
    driver: str
    target: str
    amqp_url: str  # "" when not configured: the doctor can still look at the reader
    seal_key: str  # "" when not configured; checked to be a key when given
    employer_id: str
    exchange: str
    spool_path: Path
    read_timeout: float
    retry_seconds: float

    def problems_for_run(self) -> list[MissingSetting]:
        """What ``run`` still needs before it can start; empty when ready."""
        problems = []
        if not self.amqp_url:
            problems.append(MissingSetting("REALNAME_EDGE_AMQP_URL", "the employer's own broker account "
                                           "(amqp://USER:PASSWORD@HOST:5672/VHOST)"))
        if not self.seal_key:
            problems.append(MissingSetting("REALNAME_EDGE_SEAL_KEY", "the sealing key given with the reader "
                                           "account's password (cards are never sent or kept in clear)"))
        if not self.employer_id:
            problems.append(MissingSetting("REALNAME_EDGE_EMPLOYER_ID", "the employer this reader belongs to"))
        if self.driver == "sam-serial" and not self.target:
            problems.append(MissingSetting("REALNAME_EDGE_TARGET", "the reader's serial port for the sam-serial "
                                           "driver (e.g. /dev/ttyUSB0 or COM3; `realname-edge doctor` lists them)"))
        return problems

    def require_runnable(self) -> None:
        problems = self.problems_for_run()
        if problems:
            raise ConfigError("; ".join(str(problem) for problem in problems))

    def __repr__(self) -> str:
        return (f"EdgeConfig(driver={self.driver!r}, target={self.target!r}, "
                f"amqp_url={masked_url(self.amqp_url)!r}, seal_key={'***' if self.seal_key else ''!r}, "
                f"employer_id={self.employer_id!r}, "
                f"exchange={self.exchange!r}, spool_path={str(self.spool_path)!r}, "
                f"read_timeout={self.read_timeout:g}, retry_seconds={self.retry_seconds:g})")


def masked_url(url: str) -> str:
    """The URL with its password replaced by ``***``; robust to URLs too broken to parse."""
    scheme, separator, rest = url.partition("://")
    if not separator or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")  # a password may hold an unencoded "@": mask up to the last one
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"


def load_config(env: Mapping[str, str] | None = None, config_file: str | Path | None = None, *,
                windows: bool | None = None) -> EdgeConfig:
    """Read the settings; ConfigError names the variable (and the file key) of a bad value."""
    environment = os.environ if env is None else env
    settings = _Settings(_file_values(Path(config_file)) if config_file else {},
                         str(config_file) if config_file else "")
    for variable in VARIABLES:
        if environment.get(variable.env, ""):
            settings.values[variable.key] = environment[variable.env]
            settings.from_env.add(variable.key)
    on_windows = os.name == "nt" if windows is None else windows
    return EdgeConfig(
        driver=_driver(settings), target=settings.text("target"), amqp_url=_amqp_url(settings),
        seal_key=_seal_key(settings),
        employer_id=_employer_id(settings), exchange=settings.text("exchange") or "edge.events",
        spool_path=Path(settings.text("spool")) if settings.text("spool") else default_spool(environment, on_windows),
        read_timeout=settings.seconds("read_timeout", 5.0), retry_seconds=settings.seconds("retry_seconds", 10.0))


def default_spool(env: Mapping[str, str], windows: bool) -> Path:
    """The spool lives in the user's own profile: it holds personal data (see ``spool``)."""
    if windows:
        base = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else _home(env) / "AppData" / "Local"
    else:
        xdg = env.get("XDG_DATA_HOME", "")
        # The XDG spec says a relative XDG_DATA_HOME is invalid and to be ignored.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else _home(env) / ".local" / "share"
    return base / "realname-edge" / "spool.sqlite"


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("USERPROFILE" if os.name == "nt" else "HOME", "")
    return Path(home) if home else Path.home()


class _Settings:
    """Raw values by file key, and where each came from, so an error can name it."""

    def __init__(self, values: dict[str, Any], file_name: str) -> None:
        self.values = values
        self.from_env: set[str] = set()
        self.file_name = file_name

    def origin(self, key: str) -> str:
        env = _BY_KEY[key].env
        return env if key in self.from_env else f"{env} ({key} in {self.file_name})"

    def text(self, key: str) -> str:
        value = self.values.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{self.origin(key)} must be a string, not {value!r}")
        return value.strip()

    def seconds(self, key: str, default: float) -> float:
        value = self.values.get(key, default)
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = math.nan
        if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
            raise ConfigError(f"{self.origin(key)} must be a number of seconds above 0, not {value!r}")
        return seconds


def _file_values(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            values = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the configuration file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(values) - set(_BY_KEY))
    if unknown:
        raise ConfigError(f"the configuration file {path} has unknown keys {unknown}; known: {sorted(_BY_KEY)}")
    return values


def _driver(settings: _Settings) -> str:
    name = settings.text("driver") or "simulator"
    known = sorted(drivers_by_name())
    if name not in known:
        raise ConfigError(f"{settings.origin('driver')} must be one of {', '.join(known)}, not {name!r}")
    return name


def _amqp_url(settings: _Settings) -> str:
    url = settings.text("amqp_url")
    if not url:
        return ""
    origin, shown = settings.origin("amqp_url"), masked_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for a bad one
    except ValueError as exc:
        raise ConfigError(f"{origin} is not a valid AMQP URL ({shown}): {exc}") from exc
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ConfigError(f"{origin} must be amqp://USER:PASSWORD@HOST:5672/VHOST (or amqps://), not {shown}")
    if not parts.username or parts.password is None:  # pika would log in as guest: never the employer's account
        raise ConfigError(f"{origin} must carry the employer's own broker user name and password "
                          f"(amqp://USER:PASSWORD@HOST:5672/VHOST), not {shown}")
    try:
        pika.URLParameters(url)  # its query options (heartbeat=…, ssl_options=…) are checked only here
    except ValueError as exc:
        raise ConfigError(f"{origin} is not a valid AMQP URL ({shown}): {exc}") from exc
    return url


def _employer_id(settings: _Settings) -> str:
    employer = settings.text("employer_id")
    if employer and not _EMPLOYER_ID.fullmatch(employer):
        raise ConfigError(f"{settings.origin('employer_id')} must be letters, digits and . _ : - "
                          f"(at most 128), not {employer!r}")
    return employer


def _seal_key(settings: _Settings) -> str:
    key = settings.text("seal_key")
    if key:
        try:
            parse_seal_key(key)
        except SealKeyError as exc:  # the message never quotes the value: it is a secret
            raise ConfigError(f"{settings.origin('seal_key')} is not the sealing key the platform gave with the "
                              f"reader account: {exc}") from exc
    return key
