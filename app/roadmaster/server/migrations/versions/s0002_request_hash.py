"""Idempotency keys remember a hash of the request they answered, so that a key
replayed with another body is refused (409) instead of answered with the first
request's answer.  Rows from before have none and replay as they did.

Revision ID: s0002_request_hash
Revises: s0001_initial
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002_request_hash"
down_revision: str | None = "s0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("request_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("request_hash")
