"""Ask every upstream the same question at once, and wait a bounded time for the answers."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from concurrent.futures import Executor, Future, wait
from typing import Any

from realname_gateway.upstream import Upstream, UpstreamTimeoutError

Answer = tuple[int, Any] | BaseException


def ask_all(pool: Executor, upstreams: Mapping[str, Upstream], path: str,
            timeout: float) -> dict[str, Answer]:
    """Each upstream's ``get_json(path)``: (status, body), or the exception that stood in its way."""
    # Each task runs in a copy of this context, so the correlation id travels with it.
    futures = {name: pool.submit(contextvars.copy_context().run, upstream.get_json, path)
               for name, upstream in upstreams.items()}
    wait(futures.values(), timeout=timeout)
    return {name: _outcome(future, timeout) for name, future in futures.items()}


def _outcome(future: Future[tuple[int, Any]], timeout: float) -> Answer:
    if not future.done():
        future.cancel()
        return UpstreamTimeoutError(f"no answer within {timeout:g} s")
    return future.exception() or future.result()
