"""Structured JSON logs that carry the correlation id of the request or message being handled."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

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


def configure_logging(level: str = "INFO", fmt: str = "json", **static: Any) -> None:
    """Configure structlog (and the standard library's loggers) once per process."""
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if static:
        shared.insert(0, _add_static(static))
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("pika", "amqp", "kombu", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _add_static(static: dict[str, Any]) -> Any:
    def processor(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        for key, value in static.items():
            event.setdefault(key, value)
        return event
    return processor


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
