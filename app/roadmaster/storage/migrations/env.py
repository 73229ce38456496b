"""Alembic environment.

RoadMaster runs migrations itself (:func:`roadmaster.storage.migrate.upgrade`),
handing over an open connection in ``config.attributes["connection"]``; that
connection's transaction makes the whole upgrade atomic.  For development
(``alembic -x url=sqlite:///path revision --autogenerate``) a URL works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from roadmaster.storage.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters most things by rebuilding the table
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass -x url=sqlite:///path/to/roadmaster.db")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


_main()
