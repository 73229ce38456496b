"""The reference server's tables (SQLAlchemy Core), shaped like the web dashboard's.

The schema is created and upgraded by the server's own Alembic scripts
(:mod:`roadmaster.server.migrations`); this module is the current shape that the
code queries.  Both work on SQLite and PostgreSQL:

* ids are UUIDs (native ``uuid`` on PostgreSQL, 32 hex chars on SQLite), except
  telemetry's, a 64-bit serial (an integer rowid on SQLite);
* times are stored in UTC (``timestamptz`` on PostgreSQL, naive UTC on SQLite) and
  always read back as aware UTC datetimes (:class:`UtcDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata: Final = sa.MetaData()


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on either database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigSerial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PK = rowid

users: Final = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    # SHA-256 of the key, hex: the key itself is never stored.
    sa.Column("api_key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("key_rotated_at", UtcDateTime(), nullable=False),
)

# One row; bumped by every key change so that servers drop their key caches.
server_state: Final = sa.Table(
    "server_state",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("key_epoch", sa.BigInteger(), nullable=False),
)

jobs: Final = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # in_progress|completed|cancelled
    sa.Column("source_city", sa.String(100), nullable=False),
    sa.Column("destination_city", sa.String(100), nullable=False),
    sa.Column("source_company", sa.String(100)),
    sa.Column("destination_company", sa.String(100)),
    sa.Column("cargo_type", sa.String(100), nullable=False),
    sa.Column("cargo_weight", sa.Integer()),
    sa.Column("income", sa.Integer(), nullable=False),
    sa.Column("distance", sa.Integer(), nullable=False),
    sa.Column("deadline", UtcDateTime()),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("completed_at", UtcDateTime()),
    sa.Column("cancelled_at", UtcDateTime()),
    sa.Column("cargo_damage", sa.Float()),
    sa.Column("delivered_late", sa.Boolean()),
    sa.Column("fuel_consumed", sa.Float()),
    sa.Column("damage_taken", sa.Float()),
    sa.Column("avg_speed", sa.Float()),
    sa.Column("avg_rpm", sa.Integer()),
    sa.Column("penalty", sa.Integer()),
    sa.Column("abandoned", sa.Boolean()),
    # Computed on completion with the dashboard formulas (roadmaster.server.economics).
    sa.Column("fuel_cost", sa.Float()),
    sa.Column("damage_cost", sa.Float()),
    sa.Column("profit", sa.Float()),
    sa.Column("profit_per_mile", sa.Float()),
    sa.Column("fuel_economy", sa.Float()),
    sa.Column("safety_score", sa.Float()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_jobs_user_started", "user_id", "started_at"),
)

telemetry: Final = sa.Table(
    "telemetry",
    metadata,
    sa.Column("id", BigSerial, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id", ondelete="SET NULL")),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),  # client's, else arrival
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("speed", sa.Float(), nullable=False),
    sa.Column("rpm", sa.Integer(), nullable=False),
    sa.Column("gear", sa.Integer(), nullable=False),
    sa.Column("fuel_current", sa.Float(), nullable=False),
    sa.Column("fuel_capacity", sa.Float(), nullable=False),
    sa.Column("engine_damage", sa.Float(), nullable=False),
    sa.Column("transmission_damage", sa.Float(), nullable=False),
    sa.Column("chassis_damage", sa.Float(), nullable=False),
    sa.Column("wheels_damage", sa.Float(), nullable=False),
    sa.Column("cabin_damage", sa.Float(), nullable=False),
    sa.Column("cargo_damage", sa.Float(), nullable=False),
    sa.Column("position_x", sa.Float(), nullable=False),
    sa.Column("position_y", sa.Float(), nullable=False),
    sa.Column("position_z", sa.Float(), nullable=False),
    sa.Column("game_time", UtcDateTime()),
    sa.Column("cruise_control_speed", sa.Float()),
    sa.Column("cruise_control_enabled", sa.Boolean()),
    sa.Column("parking_brake", sa.Boolean()),
    sa.Column("motor_brake", sa.Boolean()),
    sa.Column("retarder_level", sa.Integer()),
    sa.Column("air_pressure", sa.Float()),
    sa.Column("brake_temperature", sa.Float()),
    sa.Column("navigation_distance", sa.Float()),
    sa.Column("navigation_time", sa.Float()),
    sa.Column("speed_limit", sa.Float()),
    sa.Index("ix_telemetry_user_recorded", "user_id", "recorded_at"),
    sa.Index("ix_telemetry_job", "job_id"),
)

company_stats: Final = sa.Table(
    "company_stats",
    metadata,
    sa.Column(
        "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("company_name", sa.String(100), primary_key=True),
    sa.Column("jobs_completed", sa.Integer(), nullable=False),
    sa.Column("jobs_on_time", sa.Integer(), nullable=False),
    sa.Column("total_damage", sa.Float(), nullable=False),
    sa.Column("avg_damage", sa.Float(), nullable=False),
)

# The catalogue, seeded by the migration; unlocks go to user_achievements.
achievements: Final = sa.Table(
    "achievements",
    metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("threshold", sa.Float(), nullable=False),
)

user_achievements: Final = sa.Table(
    "user_achievements",
    metadata,
    sa.Column(
        "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "achievement_key", sa.String(32), sa.ForeignKey("achievements.key"), primary_key=True
    ),
    sa.Column("unlocked_at", UtcDateTime(), nullable=False),
)

user_preferences: Final = sa.Table(
    "user_preferences",
    metadata,
    sa.Column(
        "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("fuel_alert_threshold", sa.Integer(), nullable=False, server_default="30"),
    sa.Column("rest_alert_minutes", sa.Integer(), nullable=False, server_default="60"),
    sa.Column("maintenance_alert_threshold", sa.Integer(), nullable=False, server_default="15"),
    sa.Column("units", sa.String(8), nullable=False, server_default="imperial"),
    sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
)

# First answers to requests that carried an idempotency key.  The unique constraint
# is what makes two concurrent retries safe: the second insert fails, its
# transaction (and its rows) roll back, and it replays the first answer.
idempotency_keys: Final = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("id", BigSerial, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("endpoint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=False),
    sa.Column("response_body", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # SHA-256 (hex) of the request body without its api_key; null on older rows.
    sa.Column("request_hash", sa.String(64)),
    sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
)

# Rate-limit counters shared by every server process (roadmaster.server.limits): one
# row per user, bucket and fixed window (``slot`` = Unix time // window length).
rate_counters: Final = sa.Table(
    "rate_counters",
    metadata,
    sa.Column(
        "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("bucket", sa.String(16), primary_key=True),
    sa.Column("slot", sa.BigInteger(), primary_key=True),
    sa.Column("used", sa.Integer(), nullable=False),
)

ACHIEVEMENTS: Final = (
    ("first_job", "First Job", "Complete your first job", 1.0),
    ("hundred_jobs", "Centurion", "Complete 100 jobs", 100.0),
    ("thousand_miles", "Thousand Miles", "Drive 1,000 miles of jobs", 1000.0),
    ("profitable_hauler", "Profitable Hauler", "Earn $10,000 profit", 10000.0),
    ("fuel_efficient", "Fuel Efficient", "Average 8 mpg", 8.0),
    ("perfect_delivery", "Perfect Delivery", "10 on-time deliveries in a row", 10.0),
    ("no_damage", "No Damage", "Complete a job with no damage", 0.0),
)
