"""The reference server's first schema: users, jobs, telemetry, company stats,
achievements, preferences, idempotency keys.

Revision ID: s0001_initial
Revises:
Create Date: 2026-05-20

A frozen snapshot: it spells out its columns instead of importing ``tables.py``,
so that later changes to the current schema do not change what this step built.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001_initial"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TELEMETRY_REQUIRED_FLOATS = (
    "speed",
    "fuel_current",
    "fuel_capacity",
    "engine_damage",
    "transmission_damage",
    "chassis_damage",
    "wheels_damage",
    "cabin_damage",
    "cargo_damage",
    "position_x",
    "position_y",
    "position_z",
)
_TELEMETRY_OPTIONAL_FLOATS = (
    "cruise_control_speed",
    "air_pressure",
    "brake_temperature",
    "navigation_distance",
    "navigation_time",
    "speed_limit",
)
_ACHIEVEMENTS = (
    ("first_job", "First Job", "Complete your first job", 1.0),
    ("hundred_jobs", "Centurion", "Complete 100 jobs", 100.0),
    ("thousand_miles", "Thousand Miles", "Drive 1,000 miles of jobs", 1000.0),
    ("profitable_hauler", "Profitable Hauler", "Earn $10,000 profit", 10000.0),
    ("fuel_efficient", "Fuel Efficient", "Average 8 mpg", 8.0),
    ("perfect_delivery", "Perfect Delivery", "10 on-time deliveries in a row", 10.0),
    ("no_damage", "No Damage", "Complete a job with no damage", 0.0),
)


def _user_fk(primary_key: bool = False) -> sa.Column[object]:
    return sa.Column(
        "user_id",
        sa.Uuid(),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("api_key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("key_rotated_at", _TS, nullable=False),
    )
    op.create_table(
        "server_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_epoch", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(
        sa.table("server_state", sa.column("id"), sa.column("key_epoch")),
        [{"id": 1, "key_epoch": 0}],
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _user_fk(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_city", sa.String(100), nullable=False),
        sa.Column("destination_city", sa.String(100), nullable=False),
        sa.Column("source_company", sa.String(100)),
        sa.Column("destination_company", sa.String(100)),
        sa.Column("cargo_type", sa.String(100), nullable=False),
        sa.Column("cargo_weight", sa.Integer()),
        sa.Column("income", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("deadline", _TS),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("completed_at", _TS),
        sa.Column("cancelled_at", _TS),
        sa.Column("cargo_damage", sa.Float()),
        sa.Column("delivered_late", sa.Boolean()),
        sa.Column("fuel_consumed", sa.Float()),
        sa.Column("damage_taken", sa.Float()),
        sa.Column("avg_speed", sa.Float()),
        sa.Column("avg_rpm", sa.Integer()),
        sa.Column("penalty", sa.Integer()),
        sa.Column("abandoned", sa.Boolean()),
        sa.Column("fuel_cost", sa.Float()),
        sa.Column("damage_cost", sa.Float()),
        sa.Column("profit", sa.Float()),
        sa.Column("profit_per_mile", sa.Float()),
        sa.Column("fuel_economy", sa.Float()),
        sa.Column("safety_score", sa.Float()),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_jobs_user_started", "jobs", ["user_id", "started_at"])
    op.create_table(
        "telemetry",
        sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id", ondelete="SET NULL")),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("rpm", sa.Integer(), nullable=False),
        sa.Column("gear", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in _TELEMETRY_REQUIRED_FLOATS),
        sa.Column("game_time", _TS),
        sa.Column("cruise_control_enabled", sa.Boolean()),
        sa.Column("parking_brake", sa.Boolean()),
        sa.Column("motor_brake", sa.Boolean()),
        sa.Column("retarder_level", sa.Integer()),
        *(sa.Column(name, sa.Float()) for name in _TELEMETRY_OPTIONAL_FLOATS),
    )
    op.create_index("ix_telemetry_user_recorded", "telemetry", ["user_id", "recorded_at"])
    op.create_index("ix_telemetry_job", "telemetry", ["job_id"])
    op.create_table(
        "company_stats",
        _user_fk(primary_key=True),
        sa.Column("company_name", sa.String(100), primary_key=True),
        sa.Column("jobs_completed", sa.Integer(), nullable=False),
        sa.Column("jobs_on_time", sa.Integer(), nullable=False),
        sa.Column("total_damage", sa.Float(), nullable=False),
        sa.Column("avg_damage", sa.Float(), nullable=False),
    )
    catalogue = op.create_table(
        "achievements",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
    )
    assert catalogue is not None
    op.bulk_insert(
        catalogue,
        [
            {"key": key, "name": name, "description": text, "threshold": threshold}
            for key, name, text, threshold in _ACHIEVEMENTS
        ],
    )
    op.create_table(
        "user_achievements",
        _user_fk(primary_key=True),
        sa.Column(
            "achievement_key",
            sa.String(32),
            sa.ForeignKey("achievements.key"),
            primary_key=True,
        ),
        sa.Column("unlocked_at", _TS, nullable=False),
    )
    op.create_table(
        "user_preferences",
        _user_fk(primary_key=True),
        sa.Column("fuel_alert_threshold", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("rest_alert_minutes", sa.Integer(), nullable=False, server_default="60"),
        sa.Column("maintenance_alert_threshold", sa.Integer(), nullable=False, server_default="15"),
        sa.Column("units", sa.String(8), nullable=False, server_default="imperial"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
        _user_fk(),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
    )


def downgrade() -> None:
    for name in (
        "idempotency_keys",
        "user_preferences",
        "user_achievements",
        "achievements",
        "company_stats",
        "telemetry",
        "jobs",
        "server_state",
        "users",
    ):
        op.drop_table(name)
