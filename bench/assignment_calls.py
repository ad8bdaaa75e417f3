"""A careful client's calls under load (R33): a write carries an ``Idempotency-Key`` made once per intended change,
and is sent again with the same key after a timeout, a network error or a 502/503/504, as the API asks.

Every attempt is tallied (status, latency; a timeout with the time it waited). Now and then a write that succeeded is
sent again with its key, as a client that lost the answer would: the answer must be the first one, replayed.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.registry_load import Tally

RETRIED_STATUSES = (502, 503, 504)
ATTEMPTS = 5
REPLAY_SHARE = 0.03


@dataclass
class LoadTally(Tally):
    """The registry load's tally, with latencies per operation and what the answers said about each assignment."""

    by_operation: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[str] = field(default_factory=Counter)
    entries: dict[str, str] = field(default_factory=dict)  # assignment id -> entry_at, as answered first
    entry_mismatches: int = 0  # an answer naming another entry time for an assignment than an earlier answer
    server_errors: list[dict[str, Any]] = field(default_factory=list)  # the first few 5xx answers, as answered

    def saw_entry(self, assignment_id: str, entry_at: str) -> None:
        with self.lock:
            first = self.entries.setdefault(assignment_id, entry_at)
            if first != entry_at:
                self.entry_mismatches += 1

    def count(self, *outcomes: str) -> None:
        with self.lock:
            self.outcomes.update(outcomes)


@dataclass
class LoadClient:
    """One client of a load: its own connection, token and random choices."""

    base: str
    token: str
    rng: random.Random
    timeout: float
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def send(self, tally: LoadTally, operation: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        """The answer, after retries with the same key; None when every attempt timed out or failed."""
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method != "GET" else {}
        answer = None
        for attempt in range(ATTEMPTS):
            started = time.perf_counter()
            correlation = f"bench-{uuid.uuid4().hex}"  # to find the request's lines in the platform's log
            try:
                answer = self.session.request(method, f"{self.base}{path}", timeout=self.timeout,
                                              headers={**headers, "X-Correlation-ID": correlation}, **kwargs)
            except requests.RequestException as exc:
                self._tally_attempt(tally, operation, started, None)
                tally.count("timeouts" if isinstance(exc, requests.Timeout) else "network_errors")
                time.sleep(0.2 * 2**attempt)
                continue
            self._tally_attempt(tally, operation, started, answer.status_code)
            if answer.status_code >= 500 and len(tally.server_errors) < 10:
                tally.server_errors.append({"operation": operation, "status": answer.status_code, "attempt": attempt,
                                            "correlation_id": correlation,
                                            "body": answer.text[:500]})
            if answer.status_code not in RETRIED_STATUSES:
                break
            time.sleep(0.2 * 2**attempt)
        else:
            tally.count("gave_up")
        if answer is not None and headers and answer.status_code == 200 and self.rng.random() < REPLAY_SHARE:
            self._replay(tally, operation, method, path, headers, answer, **kwargs)
        return answer

    def _replay(self, tally: LoadTally, operation: str, method: str, path: str, headers: dict[str, str],
                first: requests.Response, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            again = self.session.request(method, f"{self.base}{path}", headers=headers, timeout=self.timeout,
                                         **kwargs)
        except requests.RequestException:
            self._tally_attempt(tally, f"{operation}_replay", started, None)
            return
        self._tally_attempt(tally, f"{operation}_replay", started, again.status_code)
        same = again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
        tally.count("replays", "replays_identical" if same else "replays_different")

    @staticmethod
    def _tally_attempt(tally: LoadTally, operation: str, started: float, status: int | None) -> None:
        took = (time.perf_counter() - started) * 1000
        with tally.lock:
            tally.latencies.append(took)
            tally.by_operation[operation].append(took)
            if status is not None:
                tally.statuses[status] += 1
            tally.operations[operation] += 1
