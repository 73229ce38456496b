"""Single-row INSERTs for the 1 Hz hot path, cheaper than a full Core execute.

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


class FastInsert:
    """``INSERT INTO table (columns) VALUES (?, …)`` with Core's type conversions."""

    __slots__ = ("columns", "processors", "sql")

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        self.columns = tuple(columns)
        names = ", ".join(quote(name) for name in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
        self.processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            table.c[name].type.bind_processor(dialect) for name in self.columns
        )

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> int:
        """Insert one row in ``conn``'s current transaction; returns its rowid."""
        if not conn.in_transaction():
            raise RuntimeError("FastInsert runs inside a transaction of the connection")
        params = tuple(
            value if proc is None else proc(value)
            for proc, value in zip(
                self.processors, (values[name] for name in self.columns), strict=True
            )
        )
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, params)
            return int(cursor.lastrowid)
        finally:
            cursor.close()
