"""Fast bulk loading of finished jobs (demo data, benchmarks, imports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from roadmaster.storage.tables import jobs

if TYPE_CHECKING:
    from roadmaster.storage.store import Store


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
_DEFAULTS: Final = {c.name: _default(c) for c in jobs.columns if not c.primary_key}


def complete_job_row(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``row`` with every other column at its default (executemany needs the same keys
    in every row).  ``updated_at`` defaults to ``now``; currency follows the game."""
    full = {**_DEFAULTS, "updated_at": now, **row}
    missing = [name for name, value in full.items() if value is _REQUIRED]
    if missing:
        raise ValueError(f"a job row needs {', '.join(sorted(missing))}")
    if not row.get("currency"):
        full["currency"] = {"ets2": "EUR", "ats": "USD"}.get(str(full["game"]), "")
    return full


def bulk_insert_jobs(store: Store, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert many finished jobs in one transaction (no outbox rows); see
    :meth:`Store.bulk_insert_jobs`."""
    return store.bulk_insert_jobs(rows)
