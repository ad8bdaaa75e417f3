"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        layer = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if layer in ("integration", "e2e"):
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Real PostgreSQL and RabbitMQ, under databases and names of this test's own, removed afterwards."""
    s = Stack(tmp_path)
    try:
        yield s
    finally:
        s.teardown()


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One ``stack`` for a whole module whose tests share what they set up (it takes seconds to build)."""
    s = Stack(tmp_path_factory.mktemp("module-stack"))
    try:
        yield s
    finally:
        s.teardown()
