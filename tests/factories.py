"""Builders of domain values for tests: job infos, stats, samples, job events.

Each takes keyword overrides, so a test names only what it is about.
"""

from __future__ import annotations

from typing import Any

from roadmaster.jobs.events import JobDelivered, JobInfo, JobStarted, JobStats, Sample, Wear
from roadmaster.telemetry.frame import Game


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


def job_info(**overrides: Any) -> JobInfo:
    """An ATS job Reno → Fresno, 805 km for 20,000 $ (the economics and payload tests
    check figures derived from these)."""
    base: dict[str, Any] = dict(
        game=Game.ATS, cargo_id="apples", cargo="Apples", cargo_mass_kg=20_000.0,
        source_city_id="reno", source_city="Reno", source_company_id="chemso",
        source_company="Chemso", destination_city_id="fresno", destination_city="Fresno",
        destination_company_id="voltison", destination_company="Voltison Motors",
        income=20_000, planned_distance_km=805, deadline_game_min=5000, job_market="cargo",
        special_job=False, started_game_min=1000,
    )  # fmt: skip
    base.update(overrides)
    return JobInfo(**base)


def make_started(
    key: str = "job-1", n: int = 1, *, resumed: bool = False, **overrides: Any
) -> JobStarted:
    """A job's start (``make_info(n)``) at t = 10 s."""
    base: dict[str, Any] = dict(
        t_s=10.0, game_time_min=1000, job_key=key, info=make_info(n), resumed=resumed
    )
    base.update(overrides)
    return JobStarted(**base)


def make_delivered(key: str = "job-1", n: int = 1, **overrides: Any) -> JobDelivered:
    """A job delivered after 200 km (``make_info(n)``, ``make_stats(200, 0.02)``)."""
    base: dict[str, Any] = dict(
        t_s=3700.0,
        game_time_min=1240,
        job_key=key,
        info=make_info(n),
        stats=make_stats(200.0, damage=0.02),
        revenue=1100,
        xp=300,
        cargo_damage=0.01,
        distance_km=201.0,
        delivery_time_min=240,
        finished_game_min=1240,
        autopark_used=False,
        autoload_used=True,
        late=False,
    )
    base.update(overrides)
    return JobDelivered(**base)
