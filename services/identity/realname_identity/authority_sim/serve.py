"""Build the simulator from files and serve it with waitress, in a process of its own or in a thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from waitress.server import create_server

from realname_identity.authority_sim.app import create_app
from realname_identity.authority_sim.calendar import AuthorityCalendar, load_calendar, parse_dates
from realname_identity.authority_sim.failures import Failures

DEFAULT_DATA_FILE = Path(__file__).parent / "data" / "people.json"


def build_app(data_file: Path | None = None, calendar_file: Path | None = None, closures: str = "",
              failures: Failures | None = None) -> Flask:
    """No calendar file: open 08:00–20:00 China time on weekdays, closed on ``closures`` (a comma list)."""
    calendar = load_calendar(calendar_file, closures) if calendar_file else AuthorityCalendar(parse_dates(closures))
    return create_app(data_file or DEFAULT_DATA_FILE, calendar, failures or Failures())


def make_server(app: Flask, host: str, port: int, threads: int = 16) -> Any:
    """A waitress server: ``run()`` serves until ``close()``; ``effective_port`` is the port it got (0: any)."""
    return create_server(app, host=host, port=port, threads=threads, ident="realname-authority-sim")
