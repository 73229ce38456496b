"""The database schema (SQLAlchemy Core tables): the current revision's shape.

The migrations in :mod:`roadmaster.storage.migrations` build exactly this schema;
``tests/storage/test_migrations.py`` compares the two, so a change here without a
migration (or the other way round) fails the suite.

Units are the game's (km, litres, m/s, kg, game minutes) and in the column names;
conversion to the contract's units happens when a payload is built.  Wall-clock
times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

#: Constraint names are fixed so that migrations (batch mode on SQLite) can find them.
NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: Final = sa.MetaData(naming_convention=NAMING_CONVENTION)

JOB_STATUSES: Final = ("open", "delivered", "cancelled", "abandoned", "needs-review")
OUTBOX_KINDS: Final = ("job_start", "job_complete", "job_cancel", "telemetry")
OUTBOX_STATES: Final = ("ready", "in_flight", "done", "dead")
ECONOMICS_COLUMNS: Final = frozenset({"fuel_cost", "damage_cost", "profit", "safety_score"})
WEAR_PARTS: Final = ("engine", "transmission", "cabin", "chassis", "wheels", "trailer")


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A UTC timestamp: stored naive (ISO text, so it sorts and reads well in any
    SQLite tool), returned timezone-aware.  Naive input is taken as UTC already."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _wear(prefix: str) -> list[sa.Column[float]]:
    return [
        sa.Column(f"{prefix}_{part}", sa.Float, nullable=False, server_default="0")
        for part in WEAR_PARTS
    ]


def _stats_columns() -> list[sa.Column[float]]:
    names = (
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
    return [sa.Column(name, sa.Float, nullable=False, server_default="0") for name in names]


def _int0(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


jobs: Final = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_key", sa.String, nullable=False, unique=True),
    sa.Column("server_id", sa.String, nullable=True),  # the cloud's id, once synced
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("game", sa.String(8), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default=""),
    # --- the job as the game described it (events.JobInfo)
    sa.Column("cargo_id", sa.String, nullable=False),
    sa.Column("cargo", sa.String, nullable=False),
    sa.Column("cargo_mass_kg", sa.Float, nullable=False, server_default="0"),
    sa.Column("source_city_id", sa.String, nullable=False),
    sa.Column("source_city", sa.String, nullable=False),
    sa.Column("source_company_id", sa.String, nullable=False),
    sa.Column("source_company", sa.String, nullable=False),
    sa.Column("destination_city_id", sa.String, nullable=False),
    sa.Column("destination_city", sa.String, nullable=False),
    sa.Column("destination_company_id", sa.String, nullable=False),
    sa.Column("destination_company", sa.String, nullable=False),
    _int0("income"),
    _int0("planned_distance_km"),
    _int0("deadline_game_min"),
    sa.Column("job_market", sa.String, nullable=False, server_default=""),
    sa.Column("special_job", sa.Boolean, nullable=False, server_default="0"),
    # --- when: game minutes and wall clock
    _int0("started_game_min"),
    sa.Column("ended_game_min", sa.Integer, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # --- accumulators (events.JobStats); kept up to date while open for a resume
    *_stats_columns(),
    _int0("game_min"),
    *_wear("wear_start"),
    *_wear("wear_end"),
    sa.Column("damage_taken", sa.Float, nullable=False, server_default="0"),
    sa.Column("cargo_damage", sa.Float, nullable=False, server_default="0"),
    # --- results
    _int0("revenue"),
    _int0("xp"),
    _int0("penalty"),
    sa.Column("late", sa.Boolean, nullable=True),  # known only once delivered
    sa.Column("delivery_time_min", sa.Integer, nullable=True),
    sa.Column("reported_distance_km", sa.Float, nullable=True),
    sa.Column("autopark_used", sa.Boolean, nullable=True),
    sa.Column("autoload_used", sa.Boolean, nullable=True),
    sa.Column("end_reason", sa.String, nullable=True),
    # --- expenses on the way, summed from job_events (money, whole currency units)
    _int0("fines"),
    _int0("tolls"),
    _int0("transport_cost"),
    # --- economics, filled by the caller (jobs.economics); NULL until computed
    sa.Column("fuel_cost", sa.Float, nullable=True),
    sa.Column("damage_cost", sa.Float, nullable=True),
    sa.Column("profit", sa.Float, nullable=True),
    sa.Column("safety_score", sa.Float, nullable=True),
    sa.CheckConstraint(
        "status IN ('open', 'delivered', 'cancelled', 'abandoned', 'needs-review')",
        name="status",
    ),
)

#: Sortable / filterable columns of the job log get an index each: in SQLite an index
#: on (col) is ordered by (col, rowid), which is exactly the keyset (col, id).
JOB_INDEXED_COLUMNS: Final = (
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
    "profit",
    "started_at",
    "ended_at",
    "started_game_min",
    "ended_game_min",
)
for _name in JOB_INDEXED_COLUMNS:
    sa.Index(f"ix_jobs_{_name}", jobs.c[_name])
# Unique but NULL until synced (an index: SQLite cannot add a UNIQUE column later).
sa.Index("ix_jobs_server_id", jobs.c.server_id, unique=True)
#: What the analytics sum per group.  Each grouping gets a covering index that starts
#: with its key: SQLite then groups in index order and never touches the wide rows
#: (per-route totals on 100k jobs: ~150 ms instead of ~400 ms).
AGGREGATED_COLUMNS: Final = (
    "status",
    "late",
    "income",
    "revenue",
    "distance_km",
    "fuel_used_l",
    "damage_taken",
    "profit",
)
sa.Index(
    "ix_jobs_route_totals",
    jobs.c.source_city,
    jobs.c.destination_city,
    *(jobs.c[n] for n in AGGREGATED_COLUMNS),
)
sa.Index("ix_jobs_cargo_totals", jobs.c.cargo, *(jobs.c[n] for n in AGGREGATED_COLUMNS))
sa.Index(
    "ix_jobs_company_totals",
    jobs.c.destination_company,
    *(jobs.c[n] for n in AGGREGATED_COLUMNS),
)

job_events: Final = sa.Table(
    "job_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=True
    ),  # NULL: free driving
    sa.Column("kind", sa.String(16), nullable=False),  # fine toll ferry train refuel_*
    sa.Column("t_s", sa.Float, nullable=False),
    sa.Column("game_time_min", sa.Integer, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("amount", sa.Integer, nullable=True),  # money, whole currency units
    sa.Column("fuel_l", sa.Float, nullable=True),
    sa.Column("offence", sa.String, nullable=True),
    sa.Column("source_name", sa.String, nullable=True),
    sa.Column("target_name", sa.String, nullable=True),
    sa.Column("source_id", sa.String, nullable=True),
    sa.Column("target_id", sa.String, nullable=True),
    sa.Index("ix_job_events_job_id", "job_id"),
)


def _sample_columns() -> list[sa.Column[object]]:
    floats = (
        "speed_mps",
        "engine_rpm",
        "fuel_l",
        "fuel_capacity_l",
        *(f"wear_{part}" for part in WEAR_PARTS),
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
    cols: list[sa.Column[object]] = [sa.Column(name, sa.Float, nullable=False) for name in floats]
    cols += [
        sa.Column("gear_dashboard", sa.Integer, nullable=False),
        sa.Column("retarder_level", sa.Integer, nullable=False),
        sa.Column("cruise_control", sa.Boolean, nullable=False),
        sa.Column("park_brake", sa.Boolean, nullable=False),
        sa.Column("motor_brake", sa.Boolean, nullable=False),
    ]
    return cols


samples: Final = sa.Table(
    "samples",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=True),
    sa.Column("t_s", sa.Float, nullable=False),  # the source's own clock
    sa.Column("game_time_min", sa.Integer, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    *_sample_columns(),
    sa.Index("ix_samples_job_id", "job_id"),
)

session_log: Final = sa.Table(
    "session_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("t_s", sa.Float, nullable=True),
    sa.Column("game_time_min", sa.Integer, nullable=True),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
    sa.Column("detail", sa.JSON, nullable=True),
)

settings: Final = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.JSON, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

achievements: Final = sa.Table(
    "achievements",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("unlocked_at", UtcDateTime, nullable=False),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
    sa.Column("detail", sa.String, nullable=True),
)

outbox: Final = sa.Table(
    "outbox",
    metadata,
    # AUTOINCREMENT: ids are never reused after deletes, so id order is the global
    # order in which things happened, for as long as the file lives.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=True),
    sa.Column("event_id", sa.String(32), nullable=False),  # idempotency key for retries
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("state", sa.String(12), nullable=False, server_default="ready"),
    _int0("attempts"),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.String, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint(
        "kind IN ('job_start', 'job_complete', 'job_cancel', 'telemetry')", name="kind"
    ),
    sa.CheckConstraint("state IN ('ready', 'in_flight', 'done', 'dead')", name="state"),
    sa.Index("ix_outbox_state_id", "state", "id"),
    sa.Index("ix_outbox_job_id", "job_id"),
    sqlite_autoincrement=True,
)


# --- Roadie's conversations (migration 0003): apart from the job log, never synced ----

conversations: Final = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(120), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

conversation_messages: Final = sa.Table(
    "conversation_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "conversation_id",
        sa.Integer,
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # complete | incomplete | stopped | error (only complete answers go back as history)
    sa.Column("state", sa.String(12), nullable=False, server_default="complete"),
    sa.Column("api_requests", sa.Integer, nullable=False, server_default="0"),
    sa.Column("input_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("output_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("role IN ('user', 'assistant')", name="role"),
    sa.Index("ix_conversation_messages_conversation_id", "conversation_id", "id"),
    sa.Index("ix_conversation_messages_created_at", "created_at"),
)


def utc_now() -> datetime:
    """The default wall clock of the store (UTC, aware)."""
    return datetime.now(UTC)
