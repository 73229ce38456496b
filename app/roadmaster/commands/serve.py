"""``roadmaster serve``: run the reference cloud API, and manage its users.

    roadmaster serve [--db URL] [--host 127.0.0.1] [--port 8787] [--workers N]
                     [--keep-idempotency-hours 48] [--keep-telemetry-days D]
    roadmaster serve user add NAME [--db URL]
    roadmaster serve user rotate-key NAME [--db URL]

The database defaults to ``server.db`` in the data folder (SQLite); PostgreSQL
works with ``--db postgresql+psycopg://user@host/dbname``, and only PostgreSQL
can be served by several worker processes (``--workers N``).  ``--header-timeout``,
``--body-timeout``, ``--keep-alive`` and ``--max-connections`` bound what slow or
idle clients can hold (:class:`roadmaster.server.httplimits.HttpLimits`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from roadmaster import paths
from roadmaster.errors import UserError
from roadmaster.server.httplimits import HttpLimits
from roadmaster.sync.contract import JOBS_PER_HOUR, TELEMETRY_PER_HOUR

HTTP_DEFAULTS = HttpLimits()


def default_db_url() -> str:
    return f"sqlite:///{paths.data_dir() / 'server.db'}"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the reference cloud API server (self-hosted sync)",
        description="Serve the RoadMaster cloud API (the contract plus extensions) "
        "on SQLite or PostgreSQL.",
    )
    p.add_argument("--db", help="database URL (default: server.db in the data folder)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8787, help="port to listen on")
    p.add_argument(
        "--telemetry-per-hour",
        type=int,
        default=TELEMETRY_PER_HOUR,
        help="per-user telemetry samples an hour",
    )
    p.add_argument(
        "--jobs-per-hour",
        type=int,
        default=JOBS_PER_HOUR,
        help="per-user job start/complete/cancel requests an hour",
    )
    slow = p.add_argument_group(
        "slow clients", "how long and how much the server waits on a client (see README)"
    )
    slow.add_argument(
        "--header-timeout",
        type=_positive(float),
        default=HTTP_DEFAULTS.header_timeout_s,
        metavar="SECONDS",
        help="close a connection that has not sent a request's headers within this "
        "(from connecting or the previous answer; default %(default)s)",
    )
    slow.add_argument(
        "--body-timeout",
        type=_positive(float),
        default=HTTP_DEFAULTS.body_timeout_s,
        metavar="SECONDS",
        help="answer 408 to a request whose body has not all come within this "
        "(default %(default)s)",
    )
    slow.add_argument(
        "--keep-alive",
        type=_positive(int),
        default=HTTP_DEFAULTS.keep_alive_s,
        metavar="SECONDS",
        help="close an idle kept-alive connection after this (default %(default)s)",
    )
    slow.add_argument(
        "--max-connections",
        type=_positive(int),
        default=HTTP_DEFAULTS.limit_concurrency,
        metavar="N",
        help="answer 503 beyond this many connections and requests in progress "
        "(default %(default)s)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port (more than 1 needs PostgreSQL)",
    )
    p.add_argument(
        "--keep-idempotency-hours",
        type=_positive(float),
        default=48.0,  # roadmaster.server.retention.IDEMPOTENCY_HOURS (not imported here)
        metavar="H",
        help="hours to remember answers to idempotent requests (default: %(default)g)",
    )
    p.add_argument(
        "--keep-telemetry-days",
        type=_positive(float),
        default=None,
        metavar="D",
        help="delete telemetry older than D days (default: keep it all)",
    )
    p.set_defaults(func=run_server)
    users = p.add_subparsers(dest="serve_command", metavar="user")
    user = users.add_parser("user", help="add users and rotate their API keys")
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("add", "add a user and print their new API key", run_add),
        ("rotate-key", "print a new API key for a user; the old one stops working", run_rotate),
    ):
        action = actions.add_parser(name, help=helptext, description=helptext)
        action.add_argument("name", metavar="NAME")
        # SUPPRESS: a --db given before "user" is kept when this one is absent.
        action.add_argument("--db", default=argparse.SUPPRESS, help="database URL")
        action.set_defaults(func=func)


def _positive(kind: Callable[[str], float]) -> Callable[[str], Any]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 < value < 1e6:
            raise argparse.ArgumentTypeError(f"must be above 0 and below 1000000: {text}")
        return value

    return parse


def _db(args: argparse.Namespace) -> str:
    return args.db or default_db_url()


@contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """A server database that cannot be opened (damaged, not a database, a PostgreSQL
    server that refuses) is one line for the user, not an internal error."""
    import sqlalchemy as sa

    try:
        yield
    except sa.exc.DBAPIError as exc:
        # Operational failures and "not a database"/"malformed" (a plain DatabaseError);
        # an IntegrityError or ProgrammingError would be a bug and stays one.
        if not isinstance(exc, sa.exc.OperationalError) and type(exc) is not sa.exc.DatabaseError:
            raise
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no details"
        raise UserError(
            f"can't use the server database {shown} ({reason}). Check the --db URL; a "
            "damaged SQLite file must be moved aside (a new one is then created) or "
            "restored from a backup."
        ) from exc


def run_server(args: argparse.Namespace) -> int:
    from roadmaster.server.app import create_app
    from roadmaster.server.limits import Limits
    from roadmaster.server.retention import Retention
    from roadmaster.server.runner import serve
    from roadmaster.server.workers import ServeConfig, check_workers, serve_workers

    db = _db(args)
    check_workers(db, args.workers)
    limits = Limits(telemetry_per_hour=args.telemetry_per_hour, jobs_per_hour=args.jobs_per_hour)
    http = HttpLimits(
        header_timeout_s=args.header_timeout,
        body_timeout_s=args.body_timeout,
        keep_alive_s=args.keep_alive,
        limit_concurrency=args.max_connections,
    )
    retention = Retention(
        idempotency_hours=args.keep_idempotency_hours, telemetry_days=args.keep_telemetry_days
    )
    where = f"http://{args.host}:{args.port}"
    if args.workers > 1:
        line = f"RoadMaster reference server on {where}, {args.workers} workers (Ctrl+C stops)"
        config = ServeConfig(db, limits, retention, http)
        with _database_errors(db):
            serve_workers(
                config, args.host, args.port, args.workers, lambda: print(line, flush=True)
            )
        return 0
    with _database_errors(db):
        app = create_app(db, limits=limits, retention=retention, http=http)
    print(f"RoadMaster reference server on {where} (Ctrl+C stops)")
    serve(app, args.host, args.port, http=http)
    return 0


def run_add(args: argparse.Namespace) -> int:
    from roadmaster.server.users import add_user

    with _database_errors(_db(args)):
        key = add_user(_db(args), args.name)
    print(key)
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from roadmaster.server.users import rotate_key

    with _database_errors(_db(args)):
        key = rotate_key(_db(args), args.name)
    print(key)
    return 0
