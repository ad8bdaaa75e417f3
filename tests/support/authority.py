"""The identity authority's simulator in a thread of the test, on a clock the test moves (weekends, R3)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from realname_identity.authority_sim.app import create_app
from realname_identity.authority_sim.calendar import AuthorityCalendar
from realname_identity.authority_sim.failures import Failures
from realname_identity.authority_sim.serve import make_server
from realname_kit.timeutil import CHINA

# Days the simulator's calendar knows: a Saturday, and the Monday after it (both in the past, so that a
# reopening announced for Monday 08:00 is already due in real time and the service retries by back-off).
SATURDAY = datetime(2026, 11, 21, 10, 0, tzinfo=CHINA)
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)


@dataclass
class MovableClock:
    now: datetime = MONDAY
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self.now = moment


class RunningAuthority:
    """``with RunningAuthority(tmp_path, people) as authority: authority.url``; ``authority.clock.set(SATURDAY)``."""

    def __init__(self, folder: Path, people: list[dict[str, str]], *, latency_seconds: float = 0.0,
                 failures: Failures | None = None) -> None:
        data = folder / "authority-people.json"
        data.write_text(json.dumps(people, ensure_ascii=False), encoding="utf-8")
        self.clock = MovableClock()
        app = create_app(data, AuthorityCalendar(), failures or Failures(base_latency_seconds=latency_seconds),
                         clock=self.clock)
        self._server: Any = make_server(app, "127.0.0.1", 0, threads=32)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="authority-sim", daemon=True)

    def __enter__(self) -> RunningAuthority:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        # Closing the listener leaves the clients' keep-alive channels in waitress's map, and its loop runs
        # while the map holds any: close them too, or the thread lingers until they time out.
        self._server.close()
        for channel in list(self._server._map.values()):
            channel.close()
        self._server.task_dispatcher.shutdown()
        self._thread.join(timeout=10)
