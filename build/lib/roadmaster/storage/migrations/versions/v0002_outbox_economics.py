"""The cloud sync outbox, the server's job id, and the economics columns.

Revision ID: 0002_outbox_economics
Revises: 0001_initial
Create Date: 2026-05-02

Only ADD COLUMN and new tables/indexes: SQLite does these in place, without the
table rebuild that would copy every job of a large log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_outbox_economics"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None

_ECONOMICS = ("fuel_cost", "damage_cost", "profit", "safety_score")
_AGGREGATED = (
    "status",
    "late",
    "income",
    "revenue",
    "distance_km",
    "fuel_used_l",
    "damage_taken",
    "profit",
)


def upgrade() -> None:
    op.add_column("jobs", sa.Column("server_id", sa.String(), nullable=True))
    for name in _ECONOMICS:
        op.add_column("jobs", sa.Column(name, sa.Float(), nullable=True))
    op.create_index("ix_jobs_server_id", "jobs", ["server_id"], unique=True)
    op.create_index("ix_jobs_profit", "jobs", ["profit"])
    # Covering indexes for the analytics (they include the new profit column).
    totals = [*_AGGREGATED]
    op.create_index("ix_jobs_route_totals", "jobs", ["source_city", "destination_city", *totals])
    op.create_index("ix_jobs_cargo_totals", "jobs", ["cargo", *totals])
    op.create_index("ix_jobs_company_totals", "jobs", ["destination_company", *totals])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False, server_default="ready"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('job_start', 'job_complete', 'job_cancel', 'telemetry')",
            name="ck_outbox_kind",
        ),
        sa.CheckConstraint(
            "state IN ('ready', 'in_flight', 'done', 'dead')", name="ck_outbox_state"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_outbox_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])
    op.create_index("ix_outbox_job_id", "outbox", ["job_id"])


def downgrade() -> None:
    op.drop_table("outbox")
    for index in ("ix_jobs_company_totals", "ix_jobs_cargo_totals", "ix_jobs_route_totals"):
        op.drop_index(index, table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_profit")
        batch.drop_index("ix_jobs_server_id")
        for name in ("server_id", *_ECONOMICS):
            batch.drop_column(name)
