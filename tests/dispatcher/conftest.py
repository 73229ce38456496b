"""Fixtures for Roadie: the fake Messages server, a real SQLite log seeded with jobs,
live snapshots from real decoded frames."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from roadmaster.dispatcher.conversations import ConversationStore
from roadmaster.dispatcher.live import LiveSnapshot, Prefs
from roadmaster.dispatcher.session import Dispatcher, DispatcherConfig
from roadmaster.dispatcher.tools import Toolbox
from roadmaster.jobs.hos import HosClock, rules_for
from roadmaster.storage import Store
from roadmaster.storage.bulk import bulk_insert_jobs
from roadmaster.storage.engine import DB_FILE_NAME, make_engine
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.sim.simulator import SimulatorSource
from roadmaster.telemetry.status import Monitor
from tests.dispatcher.fake_anthropic import FakeAnthropic

T0 = datetime(2026, 9, 1, tzinfo=UTC)
KEY = "sk-ant-test-0123456789abcdef"

# (source, destination, cargo, company, revenue, profit, late)
ROUTES: list[tuple[str, str, str, str, int, float, bool]] = [
    ("Sacramento", "Reno", "Lumber", "Tidbit", 14_200, 9_850.0, False),
    ("Sacramento", "Reno", "Lumber", "Tidbit", 13_900, 9_400.0, False),
    ("Sacramento", "Reno", "Steel", "Tidbit", 15_000, 10_100.0, True),
    ("Fresno", "Bakersfield", "Canned beef", "Sunshine", 6_100, 2_340.0, False),
    ("Fresno", "Bakersfield", "Canned beef", "Sunshine", 5_800, 1_990.0, False),
    ("Las Vegas", "Barstow", "Gravel", "Quarry", 9_000, 4_450.0, False),
]


def job_row(i: int, route: tuple[str, str, str, str, int, float, bool]) -> dict[str, Any]:
    src, dst, cargo, company, revenue, profit, late = route
    ended = T0 + timedelta(days=12 * i, hours=5)
    return {
        "job_key": f"seed{i}",
        "status": "delivered",
        "game": "ats",
        "cargo_id": cargo.lower().replace(" ", "_"),
        "cargo": cargo,
        "source_city_id": src.lower(),
        "source_city": src,
        "source_company_id": "src",
        "source_company": "Wallbert",
        "destination_city_id": dst.lower(),
        "destination_city": dst,
        "destination_company_id": company.lower(),
        "destination_company": company,
        "income": revenue,
        "revenue": revenue,
        "distance_km": 210.0 + i,
        "fuel_used_l": 80.0 + i,
        "damage_taken": 0.01 * i,
        "late": late,
        "fuel_cost": 300.0 + i,
        "damage_cost": 50.0 * i,
        "tolls": 20 * i,
        "fines": 0,
        "profit": profit,
        "started_game_min": 1000 * i,
        "ended_game_min": 1000 * i + 400,
        "started_at": T0 + timedelta(days=12 * i),
        "ended_at": ended,
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A real data folder whose log holds the jobs of ROUTES."""
    d = tmp_path / "data"
    store = Store.open(d)
    try:
        bulk_insert_jobs(store, (job_row(i, r) for i, r in enumerate(ROUTES)))
    finally:
        store.close()
    yield d


@pytest.fixture
def engine(data_dir: Path) -> Iterator[Engine]:
    e = make_engine(data_dir / DB_FILE_NAME)
    yield e
    e.dispose()


@pytest.fixture
def api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def sim_live(seed: int = 7, frames: int = 600) -> LiveSnapshot:
    """A snapshot from the real simulator's frames, decoded by the real monitor,
    after ``frames`` frames (on a job by then)."""
    source = SimulatorSource("ats", seed, duration_s=10_000, tick_s=0.5)
    monitor = Monitor()
    reading = None
    clock = HosClock(rules_for(Game.ATS))
    for _ in range(frames):
        snap = source.snapshot()
        assert snap is not None
        reading = monitor.update(snap)
        if reading.frame is not None:
            f = reading.frame
            clock = clock.observe(f.header.game_time_min, f.truck.speed_mps > 0.5)
    source.close()
    assert reading is not None and reading.frame is not None
    return LiveSnapshot(reading.frame, True, "Driving", clock.remaining())


@pytest.fixture(scope="session")
def live_snapshot() -> LiveSnapshot:
    return sim_live()


@pytest.fixture
def make_dispatcher(api: FakeAnthropic, engine: Engine):
    made: list[Dispatcher] = []

    def make(
        live: LiveSnapshot | None = None,
        *,
        key: str | None = KEY,
        store: bool = True,
        **config: Any,
    ) -> Dispatcher:
        cfg = DispatcherConfig(
            api_key=key,
            model=config.pop("model", "claude-sonnet-5-5"),
            base_url=api.base_url,
            **config,
        )
        prefs = Prefs()
        d = Dispatcher(
            cfg,
            toolbox=Toolbox(engine, lambda: live, prefs),
            live=lambda: live,
            prefs=prefs,
            store=ConversationStore(engine) if store else None,
        )
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()
