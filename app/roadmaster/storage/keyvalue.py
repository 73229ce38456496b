"""The ``settings`` table: JSON values under string keys (app settings kept with
the log, achievement progress)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from roadmaster.storage.tables import settings


def put_value(conn: Connection, key: str, value: Any, now: datetime) -> None:
    """Store ``value`` under ``key`` (inside the caller's transaction)."""
    stmt = sqlite_insert(settings).values(key=key, value=value, updated_at=now)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": now})
    )


def get_value(engine: Engine, key: str, default: Any = None) -> Any:
    """The value under ``key``, or ``default``."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).first()
    return default if row is None else row[0]
