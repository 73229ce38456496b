"""Events to column values and back (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from roadmaster.jobs.events import JobInfo, JobStats, Sample, Wear
from roadmaster.storage.tables import WEAR_PARTS, jobs
from roadmaster.telemetry.frame import Game

_CURRENCY: Final = {Game.ETS2: "EUR", Game.ATS: "USD"}

INFO_FIELDS: Final = (
    "cargo_id",
    "cargo",
    "cargo_mass_kg",
    "source_city_id",
    "source_city",
    "source_company_id",
    "source_company",
    "destination_city_id",
    "destination_city",
    "destination_company_id",
    "destination_company",
    "income",
    "planned_distance_km",
    "deadline_game_min",
    "job_market",
    "special_job",
    "started_game_min",
)
STATS_FIELDS: Final = (
    "distance_km",
    "fuel_used_l",
    "refuelled_l",
    "avg_speed_mps",
    "max_speed_mps",
    "avg_rpm",
    "speeding_s",
    "idle_s",
    "cruise_s",
    "driving_s",
    "real_s",
    "game_min",
    "cargo_damage",
)


def currency_of(game: Game) -> str:
    """The game's money: ETS2 pays in euro, ATS in US dollars."""
    return _CURRENCY.get(game, "")


def info_columns(info: JobInfo) -> dict[str, Any]:
    cols: dict[str, Any] = {name: getattr(info, name) for name in INFO_FIELDS}
    cols["game"] = info.game.value
    cols["currency"] = currency_of(info.game)
    return cols


def _wear_columns(prefix: str, wear: Wear) -> dict[str, float]:
    return dict(zip((f"{prefix}_{p}" for p in WEAR_PARTS), wear.as_tuple(), strict=True))


def stats_columns(stats: JobStats) -> dict[str, Any]:
    cols: dict[str, Any] = {name: getattr(stats, name) for name in STATS_FIELDS}
    cols.update(_wear_columns("wear_start", stats.wear_start))
    cols.update(_wear_columns("wear_end", stats.wear_end))
    cols["damage_taken"] = stats.damage_taken.total
    return cols


def info_from_row(row: Mapping[Any, Any]) -> JobInfo:
    values = {name: row[name] for name in INFO_FIELDS}
    values["special_job"] = bool(values["special_job"])
    return JobInfo(game=Game(row["game"]), **values)


def stats_from_row(row: Mapping[Any, Any]) -> JobStats:
    values = {name: row[name] for name in STATS_FIELDS}
    start = Wear(*(row[f"wear_start_{p}"] for p in WEAR_PARTS))
    end = Wear(*(row[f"wear_end_{p}"] for p in WEAR_PARTS))
    return JobStats(wear_start=start, wear_end=end, **values)


def sample_measures(event: Sample) -> dict[str, Any]:
    """A sample's measurements but its wear, by field name: what its table row
    (:func:`sample_row`) and its outbox payload (``outbox.game_unit_payload``) share."""
    return {
        "speed_mps": event.speed_mps,
        "engine_rpm": event.engine_rpm,
        "gear_dashboard": event.gear_dashboard,
        "fuel_l": event.fuel_l,
        "fuel_capacity_l": event.fuel_capacity_l,
        "cargo_damage": event.cargo_damage,
        "x_m": event.x_m,
        "y_m": event.y_m,
        "z_m": event.z_m,
        "heading": event.heading,
        "cruise_control": event.cruise_control,
        "cruise_control_speed_mps": event.cruise_control_speed_mps,
        "park_brake": event.park_brake,
        "motor_brake": event.motor_brake,
        "retarder_level": event.retarder_level,
        "air_pressure_psi": event.air_pressure_psi,
        "brake_temperature_c": event.brake_temperature_c,
        "route_distance_m": event.route_distance_m,
        "route_time_s": event.route_time_s,
        "speed_limit_mps": event.speed_limit_mps,
    }


def sample_row(event: Sample, job_id: int | None, now: datetime) -> dict[str, Any]:
    w = event.wear
    return {
        "job_id": job_id,
        "t_s": event.t_s,
        "game_time_min": event.game_time_min,
        "recorded_at": now,
        "wear_engine": w.engine,
        "wear_transmission": w.transmission,
        "wear_cabin": w.cabin,
        "wear_chassis": w.chassis,
        "wear_wheels": w.wheels,
        "wear_trailer": w.trailer,
        **sample_measures(event),
    }


# --- whole job rows (bulk inserts) -------------------------------------------------


def _default(column: sa.Column[Any]) -> Any:
    if column.nullable:
        return None
    server_default = column.server_default
    if not isinstance(server_default, sa.DefaultClause) or not isinstance(server_default.arg, str):
        return _REQUIRED
    text = server_default.arg
    python_type = column.type.python_type
    if python_type is bool:
        return text not in ("0", "")
    return python_type(text)


_REQUIRED: Final = object()
JOB_DEFAULTS: Final = {c.name: _default(c) for c in jobs.columns if not c.primary_key}
# Columns a job row must name (updated_at defaults to the time of writing).
REQUIRED_JOB_COLUMNS: Final = tuple(
    name for name, value in JOB_DEFAULTS.items() if value is _REQUIRED and name != "updated_at"
)


def complete_job_row(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``row`` with every other column at its default (executemany needs the same keys
    in every row).  ``updated_at`` defaults to ``now``; currency follows the game."""
    full = {**JOB_DEFAULTS, "updated_at": now, **row}
    missing = [name for name, value in full.items() if value is _REQUIRED]
    if missing:
        raise ValueError(f"a job row needs {', '.join(sorted(missing))}")
    if not row.get("currency"):
        full["currency"] = {"ets2": "EUR", "ats": "USD"}.get(str(full["game"]), "")
    return full
