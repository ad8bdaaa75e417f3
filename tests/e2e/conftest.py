"""Fixtures of the end-to-end tests: the launcher started as a user starts it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infra import free_port
from tests.support.launched import Launched


@pytest.fixture
def all_in_one(tmp_path: Path) -> Iterator[Launched]:
    """``./realname up`` with no settings but its own data dir and ports (runs never meet)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REALNAME_")}
    env.update(REALNAME_DATA_DIR=str(tmp_path / "var"), REALNAME_GATEWAY_PORT=str(free_port()),
               REALNAME_AUTHORITY_SIM_PORT=str(free_port()))
    launched = Launched(["up"], env, tmp_path / "launcher.log")
    yield launched
    if launched.proc.poll() is None:
        launched.proc.kill()
        launched.proc.wait()
