"""Example data with plausible values, for the benchmarks (``bench/``) and the tests:
job events, and a cloud-API telemetry body.

Each builder takes keyword overrides, so a caller names only what it is about.  The
app itself never uses these; they live in the package so that ``bench/`` and
``tests/`` share one copy.
"""

from __future__ import annotations

from typing import Any

from roadmaster.jobs.events import JobDelivered, JobInfo, JobStarted, JobStats, Sample, Wear
from roadmaster.telemetry.frame import Game


def make_info(n: int = 1, *, game: Game = Game.ATS, **overrides: Any) -> JobInfo:
    """Job ``n``: Sacramento → Reno, 200 km for ``1000 * n``."""
    values: dict[str, Any] = {
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
    return JobInfo(**values)


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
    """The 1 Hz sample at ``t`` seconds: 20 m/s in 9th gear, half a tank."""
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


def make_started(
    key: str = "job-1", n: int = 1, *, resumed: bool = False, **overrides: Any
) -> JobStarted:
    """A job's start (``make_info(n)``) at t = 10 s."""
    values: dict[str, Any] = dict(
        t_s=10.0, game_time_min=1000, job_key=key, info=make_info(n), resumed=resumed
    )
    values.update(overrides)
    return JobStarted(**values)


def make_delivered(key: str = "job-1", n: int = 1, **overrides: Any) -> JobDelivered:
    """A job delivered after 200 km (``make_info(n)``, ``make_stats(200, 0.02)``)."""
    values: dict[str, Any] = dict(
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
    values.update(overrides)
    return JobDelivered(**values)


def telemetry_body(api_key: str | None = None, **changes: object) -> dict[str, object]:
    """A cloud-API telemetry sample (``POST /api/telemetry``), with ``api_key`` when
    one is given."""
    body: dict[str, object] = {} if api_key is None else {"api_key": api_key}
    body.update(
        {
            "speed": 55.5,
            "rpm": 1400,
            "gear": 8,
            "fuel_current": 80.25,
            "fuel_capacity": 150.0,
            "engine_damage": 0.01,
            "transmission_damage": 0.02,
            "chassis_damage": 0.0,
            "wheels_damage": 0.03,
            "cabin_damage": 0.0,
            "cargo_damage": 0.0,
            "position_x": -1234.5,
            "position_y": 40.0,
            "position_z": 98765.25,
            "parking_brake": False,
            "cruise_control_enabled": True,
            "cruise_control_speed": 55.0,
            "retarder_level": 1,
        }
    )
    body.update(changes)
    return body
