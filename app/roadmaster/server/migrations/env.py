"""Alembic environment of the reference server's schema.

The server runs its migrations itself (:func:`roadmaster.server.db.upgrade`),
handing over an open connection in ``config.attributes["connection"]``; for
development (``alembic -x url=… revision --autogenerate``) a URL works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from roadmaster.server.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
        # The server's version table, so that one database could hold both schemas.
        version_table="server_alembic_version",
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
        raise SystemExit("pass -x url=sqlite:///path/to/server.db")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


_main()
