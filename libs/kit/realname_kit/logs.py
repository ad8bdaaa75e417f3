"""Structured JSON logs that carry the correlation id of the request or message being handled."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

from realname_kit.privacy.scrubbing import scrub_personal_numbers

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def correlation_id() -> str | None:
    return _correlation_id.get()


def new_correlation_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def correlated(value: str | None) -> Iterator[str]:
    """Everything logged or emitted inside carries ``value`` (a new id when None)."""
    cid = value or new_correlation_id()
    token = _correlation_id.set(cid)
    try:
        with structlog.contextvars.bound_contextvars(correlation_id=cid):
            yield cid
    finally:
        _correlation_id.reset(token)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_personal_numbers(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def scrub(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """Personal numbers masked in every value, the rendered exception included (R4, PIPL): a line that quotes a
    request, a row or a driver's error never carries a full ID, phone or bank-card number."""
    return {key: _scrubbed(value) for key, value in event.items()}


def _renderer(fmt: str) -> Any:
    if fmt == "json":
        return structlog.processors.JSONRenderer(ensure_ascii=False)
    return structlog.dev.ConsoleRenderer(colors=False)


def _shared_processors(static: dict[str, Any]) -> list[Any]:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if static:
        shared.insert(0, _add_static(static))
    return shared


def stdlib_formatter(fmt: str = "json", **static: Any) -> logging.Formatter:
    """A formatter that renders standard-library records (gunicorn's, alembic's) like structlog's."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(static),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.format_exc_info,
                    scrub, _renderer(fmt)],
    )


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured: a process that
    swaps its stderr (a test runner capturing output, a daemon redirecting it) never writes to a closed one."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", fmt: str = "json", **static: Any) -> None:
    """Configure structlog (and the standard library's loggers) once per process."""
    structlog.configure(
        processors=[*_shared_processors(static), structlog.processors.format_exc_info, scrub, _renderer(fmt)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(stdlib_formatter(fmt, **static))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("pika", "amqp", "kombu", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def gunicorn_logconfig(level: str, fmt: str, **static: Any) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its own messages as the same JSON lines, not its text format."""
    handler = {"class": "logging.StreamHandler", "formatter": "realname", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"realname": {"()": "realname_kit.logs.stdlib_formatter", "fmt": fmt, **static}},
        "handlers": {"console": handler, "error_console": handler},
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {"gunicorn.error": {"level": level, "handlers": [], "propagate": True},
                    "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True}},
    }


def _add_static(static: dict[str, Any]) -> Any:
    def processor(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        for key, value in static.items():
            event.setdefault(key, value)
        return event
    return processor


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
