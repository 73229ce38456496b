"""Fixtures of the storage tests: real SQLite files under tmp_path (the builders
are in tests/factories.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from roadmaster.storage import Store
from tests.factories import make_info, make_sample, make_stats
from tests.fakes import FakeClock

__all__ = ["FakeClock", "make_info", "make_sample", "make_stats"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store.open(data_dir, clock=clock)
    yield s
    s.close()
