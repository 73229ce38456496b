"""Shared builders for the storage tests: real SQLite files under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from roadmaster.jobs.events import JobInfo, JobStats, Sample, Wear
from roadmaster.storage import Store
from roadmaster.telemetry.frame import Game


class FakeClock:
    """A wall clock the test moves by hand (no sleeps)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def make_info(n: int = 1, *, game: Game = Game.ATS, **overrides: object) -> JobInfo:
    values: dict[str, object] = {
        "game": game,
        "cargo_id": f"cargo{n}",
        "cargo": f"Cargo {n}",
        "cargo_mass_kg": 12000.0,
        "source_city_id": "sac",
        "source_city": "Sacramento",
        "source_company_id": "wal",
        "source_company": "Wallbert",
        "destination_city_id": "ren",
        "destination_city": "Reno",
        "destination_company_id": "tid",
        "destination_company": "Tidbit",
        "income": 1000 * n,
        "planned_distance_km": 200,
        "deadline_game_min": 5000 + n,
        "job_market": "freight_market",
        "special_job": False,
        "started_game_min": 1000,
    }
    values.update(overrides)
    return JobInfo(**values)  # type: ignore[arg-type]


def make_stats(distance_km: float = 200.0, damage: float = 0.0) -> JobStats:
    return JobStats(
        distance_km=distance_km,
        fuel_used_l=distance_km * 0.35,
        avg_speed_mps=20.0,
        max_speed_mps=27.0,
        avg_rpm=1300.0,
        driving_s=3600.0,
        real_s=3700.0,
        game_min=240,
        wear_start=Wear(),
        wear_end=Wear(
            engine=damage,
            transmission=damage,
            cabin=damage,
            chassis=damage,
            wheels=damage,
            trailer=damage,
        ),
    )


def make_sample(t: float, job_key: str | None) -> Sample:
    return Sample(
        t_s=t,
        game_time_min=1000 + int(t // 60),
        job_key=job_key,
        speed_mps=20.0,
        engine_rpm=1200.0,
        gear_dashboard=9,
        fuel_l=300.0,
        fuel_capacity_l=600.0,
        wear=Wear(engine=0.01),
        cargo_damage=0.0,
        x_m=t,
        y_m=0.0,
        z_m=0.0,
        heading=0.5,
        cruise_control=False,
        cruise_control_speed_mps=0.0,
        park_brake=False,
        motor_brake=False,
        retarder_level=0,
        air_pressure_psi=120.0,
        brake_temperature_c=50.0,
        route_distance_m=1000.0,
        route_time_s=60.0,
        speed_limit_mps=25.0,
    )


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
