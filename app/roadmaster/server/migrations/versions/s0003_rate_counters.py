"""Rate-limit counters in the database, shared by every server process.

Revision ID: s0003_rate_counters
Revises: s0002_request_hash
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003_rate_counters"
down_revision: str | None = "s0002_request_hash"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("bucket", sa.String(16), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
