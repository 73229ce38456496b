"""The first schema: jobs, their events and samples, session log, settings, achievements.

Revision ID: 0001_initial
Revises:
Create Date: 2026-05-01

A frozen snapshot: it spells out its columns instead of importing ``tables.py``,
so that later changes to the current schema do not change what this step built.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_WEAR = ("engine", "transmission", "cabin", "chassis", "wheels", "trailer")
_STATS = (
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
)
_INDEXED = (
    "status",
    "game",
    "cargo",
    "source_city",
    "destination_city",
    "source_company",
    "destination_company",
    "income",
    "revenue",
    "planned_distance_km",
    "distance_km",
    "fuel_used_l",
    "damage_taken",
    "cargo_damage",
    "started_at",
    "ended_at",
    "started_game_min",
    "ended_game_min",
)


def _float0(name: str) -> sa.Column[float]:
    return sa.Column(name, sa.Float(), nullable=False, server_default="0")


def _int0(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("job_key"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("game", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default=""),
        _text("cargo_id"),
        _text("cargo"),
        _float0("cargo_mass_kg"),
        _text("source_city_id"),
        _text("source_city"),
        _text("source_company_id"),
        _text("source_company"),
        _text("destination_city_id"),
        _text("destination_city"),
        _text("destination_company_id"),
        _text("destination_company"),
        _int0("income"),
        _int0("planned_distance_km"),
        _int0("deadline_game_min"),
        sa.Column("job_market", sa.String(), nullable=False, server_default=""),
        sa.Column("special_job", sa.Boolean(), nullable=False, server_default="0"),
        _int0("started_game_min"),
        sa.Column("ended_game_min", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        *(_float0(name) for name in _STATS),
        _int0("game_min"),
        *(_float0(f"wear_start_{part}") for part in _WEAR),
        *(_float0(f"wear_end_{part}") for part in _WEAR),
        _float0("damage_taken"),
        _float0("cargo_damage"),
        _int0("revenue"),
        _int0("xp"),
        _int0("penalty"),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("delivery_time_min", sa.Integer(), nullable=True),
        sa.Column("reported_distance_km", sa.Float(), nullable=True),
        sa.Column("autopark_used", sa.Boolean(), nullable=True),
        sa.Column("autoload_used", sa.Boolean(), nullable=True),
        sa.Column("end_reason", sa.String(), nullable=True),
        _int0("fines"),
        _int0("tolls"),
        _int0("transport_cost"),
        sa.CheckConstraint(
            "status IN ('open', 'delivered', 'cancelled', 'abandoned', 'needs-review')",
            name="ck_jobs_status",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("job_key", name="uq_jobs_job_key"),
    )
    for name in _INDEXED:
        op.create_index(f"ix_jobs_{name}", "jobs", [name])

    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("t_s", sa.Float(), nullable=False),
        sa.Column("game_time_min", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("fuel_l", sa.Float(), nullable=True),
        sa.Column("offence", sa.String(), nullable=True),
        sa.Column("source_name", sa.String(), nullable=True),
        sa.Column("target_name", sa.String(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.Column("target_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_job_events_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_job_events"),
    )
    op.create_index("ix_job_events_job_id", "job_events", ["job_id"])

    sample_floats = (
        "speed_mps",
        "engine_rpm",
        "fuel_l",
        "fuel_capacity_l",
        *(f"wear_{part}" for part in _WEAR),
        "cargo_damage",
        "x_m",
        "y_m",
        "z_m",
        "heading",
        "cruise_control_speed_mps",
        "air_pressure_psi",
        "brake_temperature_c",
        "route_distance_m",
        "route_time_s",
        "speed_limit_mps",
    )
    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("t_s", sa.Float(), nullable=False),
        sa.Column("game_time_min", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in sample_floats),
        sa.Column("gear_dashboard", sa.Integer(), nullable=False),
        sa.Column("retarder_level", sa.Integer(), nullable=False),
        sa.Column("cruise_control", sa.Boolean(), nullable=False),
        sa.Column("park_brake", sa.Boolean(), nullable=False),
        sa.Column("motor_brake", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_samples_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_samples"),
    )
    op.create_index("ix_samples_job_id", "samples", ["job_id"])

    op.create_table(
        "session_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("t_s", sa.Float(), nullable=True),
        sa.Column("game_time_min", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_session_log_job_id_jobs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_session_log"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    op.create_table(
        "achievements",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_achievements_job_id_jobs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_achievements"),
    )


def downgrade() -> None:
    for table in ("achievements", "settings", "session_log", "samples", "job_events", "jobs"):
        op.drop_table(table)
