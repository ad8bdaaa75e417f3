"""Build the simulator from files and serve it with waitress, in a process of its own or in a thread."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from flask import Flask
from waitress.server import create_server

from realname_identity.authority_sim.app import create_app
from realname_identity.authority_sim.calendar import MODES, AuthorityCalendar, Mode, load_calendar, parse_dates
from realname_identity.authority_sim.failures import Failures
from realname_kit.settings import Settings

DEFAULT_DATA_FILE = Path(__file__).parent / "data" / "people.json"


def build_app(data_file: Path | None = None, calendar_file: Path | None = None, closures: str = "",
              failures: Failures | None = None, mode: str | None = None) -> Flask:
    """No calendar file: open 08:00–20:00 China time on weekdays, closed on ``closures`` (a comma list).

    ``mode`` (normal, always_open, closed_now) overrides the calendar's.
    """
    calendar = load_calendar(calendar_file, closures) if calendar_file else AuthorityCalendar(parse_dates(closures))
    if mode is not None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        calendar = replace(calendar, mode=cast(Mode, mode))
    return create_app(data_file or DEFAULT_DATA_FILE, calendar, failures or Failures())


def build_from_settings(settings: Settings) -> tuple[Flask, int]:
    """The simulator as the ``REALNAME_AUTHORITY_SIM_*`` settings describe it, and its port."""
    def value(name: str) -> str:
        return settings.value(f"REALNAME_AUTHORITY_SIM_{name}")

    seed = value("SEED")
    failures = Failures(slow_probability=float(value("SLOW_RATE")), error_probability=float(value("ERROR_RATE")),
                        refused_probability=float(value("REFUSE_RATE")),
                        base_latency_seconds=float(value("LATENCY_MS")) / 1000, seed=int(seed) if seed else None)
    app = build_app(Path(value("DATA_FILE")) if value("DATA_FILE") else None,
                    Path(value("CALENDAR_FILE")) if value("CALENDAR_FILE") else None, value("CLOSURES"), failures,
                    value("MODE") or None)
    return app, int(value("PORT"))


def make_server(app: Flask, host: str, port: int, threads: int = 16) -> Any:
    """A waitress server: ``run()`` serves until ``close()``; ``effective_port`` is the port it got (0: any)."""
    return create_server(app, host=host, port=port, threads=threads, ident="realname-authority-sim")
