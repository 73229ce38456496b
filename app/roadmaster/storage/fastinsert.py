"""Single-row INSERTs and UPDATEs for the 1 Hz hot path, cheaper than a full Core execute.

A Core ``execute`` spends ~100 µs per statement in SQLAlchemy's execution context;
a sample needs two statements per second on the capture thread.  This compiles the
INSERT once from the Core ``Table`` (so it follows the schema) together with each
column type's own bind processor (so values convert exactly as Core would convert
them: UTC datetimes, booleans, JSON), and runs it on the DBAPI cursor of the
SQLAlchemy connection, inside the transaction that connection holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect


def _processors(table: sa.Table, columns: Sequence[str], dialect: Dialect) -> tuple[Any, ...]:
    return tuple(table.c[name].type.bind_processor(dialect) for name in columns)


def _run(conn: Connection, sql: str, params: tuple[Any, ...]) -> Any:
    """``sql`` on the DBAPI cursor of ``conn``, inside the transaction it holds;
    returns the cursor's ``(lastrowid, rowcount)``."""
    if not conn.in_transaction():
        raise RuntimeError("a fast statement runs inside a transaction of the connection")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _params(
    processors: Sequence[Callable[[Any], Any] | None], values: Sequence[Any]
) -> tuple[Any, ...]:
    return tuple(
        value if proc is None else proc(value)
        for proc, value in zip(processors, values, strict=True)
    )


class FastInsert:
    """``INSERT INTO table (columns) VALUES (?, …)`` with Core's type conversions."""

    __slots__ = ("columns", "processors", "sql")

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        self.columns = tuple(columns)
        names = ", ".join(quote(name) for name in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
        self.processors = _processors(table, self.columns, dialect)

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> int:
        """Insert one row in ``conn``'s current transaction; returns its rowid."""
        params = _params(self.processors, [values[name] for name in self.columns])
        rowid, _ = _run(conn, self.sql, params)
        return int(rowid)


class FastUpdate:
    """``UPDATE table SET columns = ? … WHERE key = ? [AND extra]`` with Core's type
    conversions: the once-a-second save of an open job's accumulators, which through
    Core spent most of its time building and caching the statement."""

    __slots__ = ("columns", "processors", "sql")

    def __init__(
        self,
        table: sa.Table,
        columns: Sequence[str],
        key: str,
        dialect: Dialect,
        *,
        extra: str = "",
    ) -> None:
        quote = dialect.identifier_preparer.quote
        self.columns = (*columns, key)
        sets = ", ".join(f"{quote(name)} = ?" for name in columns)
        where = f"{quote(key)} = ?" + (f" AND {extra}" if extra else "")
        self.sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {where}"
        self.processors = _processors(table, self.columns, dialect)

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> int:
        """Update in ``conn``'s current transaction; returns the rows changed.
        ``values`` has every column and the key."""
        params = _params(self.processors, [values[name] for name in self.columns])
        _, rowcount = _run(conn, self.sql, params)
        return int(rowcount)
