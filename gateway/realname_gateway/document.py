"""The merged OpenAPI document, fetched from the upstreams and kept a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from realname_gateway.fanout import ask_all
from realname_gateway.openapi_merge import merge
from realname_gateway.upstream import Upstream


class MergedDocument:
    def __init__(self, upstreams: Mapping[str, Upstream], pool: Executor, *, ttl: float = 5.0,
                 timeout: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 own: Mapping[str, Callable[[], dict[str, Any]]] | None = None) -> None:
        self._upstreams, self._pool, self._own = upstreams, pool, dict(own or {})
        self._ttl, self._timeout, self._clock = ttl, timeout, clock
        self._lock = threading.Lock()
        self._cached: dict[str, Any] | None = None
        self._expires = 0.0

    def get(self) -> dict[str, Any]:
        # One caller fetches while the others wait for its result, rather than all asking every service.
        with self._lock:
            if self._cached is None or self._clock() >= self._expires:
                self._cached = self._build()
                self._expires = self._clock() + self._ttl
            return self._cached

    def _build(self) -> dict[str, Any]:
        answers = ask_all(self._pool, self._upstreams, "/openapi.json", self._timeout)
        documents = {name: answer[1] for name, answer in answers.items()
                     if isinstance(answer, tuple) and answer[0] == 200 and isinstance(answer[1], dict)}
        documents.update({name: make() for name, make in self._own.items()})
        merged = merge(documents)
        merged["x-unavailable"] = sorted(set(self._upstreams) - set(documents))
        return merged
